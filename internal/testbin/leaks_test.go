package testbin

import (
	"slices"
	"testing"
)

func TestLeaks(t *testing.T) {
	secrets := map[string]string{"password": "correct horse \"battery\"", "token": "ipreg_abc/def+ghi", "short": "12345"}
	tests := []struct {
		name, log string
		want      []string
	}{
		{"clean", `level=INFO msg="login" user=usr_1`, []string{"short (too short to look for)"}},
		{"as is", `msg=x tok=ipreg_abc/def+ghi`, []string{"short (too short to look for)", "token"}},
		{"json escaped", `{"body":"correct horse \"battery\""}`, []string{"password", "short (too short to look for)"}},
		{"query escaped", `path=/reset?t=ipreg_abc%2Fdef%2Bghi`, []string{"short (too short to look for)", "token"}},
		{"base64", `auth=aXByZWdfYWJjL2RlZitnaGk=`, []string{"short (too short to look for)", "token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Leaks(tt.log, secrets); !slices.Equal(got, tt.want) {
				t.Errorf("Leaks = %q, want %q", got, tt.want)
			}
		})
	}
}
