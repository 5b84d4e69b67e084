package registry_test

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	. "github.com/ipreg/ipreg/internal/registry"
)

// importScaleFile writes an import file of n registrations with 1 to 8
// items each (4.5 on average), about two per holder, mixing companies
// (company_vpn, call_center) and individuals (freelancer_vpn, mobile_vpn).
// Addresses are consecutive /32s from 39.32.0.1 on, mobile numbers
// consecutive from 0300-0000001: no two items overlap.
func importScaleFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("holder_kind,holder_name,cnic,ntn,email,mobile,category,operator,subscriber_id,item,approved_on,valid_until,legacy_ref\n")
	addr := netip.MustParseAddr("39.32.0.1")
	msisdn := 3000000001
	for i := 0; i < n; i++ {
		h := i / 2
		kind, cat, op := "company", "company_vpn", "ptcl"
		ntn := fmt.Sprintf("%07d-%d", h+1, h%10)
		if h%5 == 0 {
			kind, cat, op, ntn = "individual", "freelancer_vpn", "nayatel", ""
			if i%2 == 1 {
				cat, op = "mobile_vpn", "jazz"
			}
		} else if i%2 == 1 {
			cat, op = "call_center", "stormfiber"
		}
		items := 1 + (i*7919)%8
		for k := 0; k < items; k++ {
			item := ""
			if cat == "mobile_vpn" {
				item = "0" + strconv.Itoa(msisdn)
				msisdn++
			} else {
				item = addr.String()
				addr = addr.Next()
			}
			fmt.Fprintf(&b, "%s,Holder %d,%05d-%07d-%d,%s,holder%d@example.pk,0300-%07d,%s,%s,SUB-%d,%s,2024-12-%02d,2027-%02d-28,LEGACY-%06d\n",
				kind, h, 35202, h+1, h%10, ntn, h, h%10000000, cat, op, i, item, 1+i%28, 1+i%12, i)
		}
	}
	return b.Bytes()
}

// TestImportScale imports IPREG_IMPORT_SCALE registrations (31000 for the
// goal in BENCHMARKS.md) on each store as ipreg import does
// (ImportAndInvite: the new holders are invited in the import's
// transaction) and logs the time of a dry run, a real run and a second,
// unchanged run. Skipped unless the variable is set: it takes a while and
// prints figures, it asserts no time.
func TestImportScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("IPREG_IMPORT_SCALE"))
	if n <= 0 {
		t.Skip("set IPREG_IMPORT_SCALE=31000 to import that many registrations and log the times")
	}
	data := importScaleFile(n)
	eachStore(t, func(t *testing.T, h *harness) {
		for _, step := range []struct {
			name string
			dry  bool
		}{{"dry run", true}, {"real run", false}, {"second run", false}} {
			start, cpu0 := time.Now(), cpuTime()
			rep, invited, err := h.svc.ImportAndInvite(h.ctx, bytes.NewReader(data), ImportOptions{DryRun: step.dry, Actor: "cli"})
			took, cpu := time.Since(start), cpuTime()-cpu0
			if err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
			if len(rep.Problems) > 0 {
				t.Fatalf("%s: %d problems, first %+v", step.name, len(rep.Problems), rep.Problems[0])
			}
			want := rep.NewHolders // a dry run invites nobody
			if step.dry {
				want = 0
			}
			if invited != want {
				t.Fatalf("%s: invited %d holders, want %d", step.name, invited, want)
			}
			t.Logf("%s: %d rows, %d registrations (%d new, %d unchanged), %d holders (%d new, %d invited) in %v (this process's CPU %v; %d bytes)",
				step.name, rep.Rows, rep.Registrations, rep.NewRegistrations, rep.Unchanged, rep.Holders, rep.NewHolders, invited,
				took.Round(time.Millisecond), cpu.Round(time.Millisecond), len(data))
		}
	})
}

// cpuTime is the CPU time (user and system) this process has used: on a
// shared machine the wall time says as much about the neighbours.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
