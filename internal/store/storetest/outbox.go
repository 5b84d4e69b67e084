package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

var bothChannels = []registry.Channel{registry.ChannelEmail, registry.ChannelSMS}

func newMessage(id, key string, ch registry.Channel) *registry.Message {
	return &registry.Message{ID: id, Key: key, Channel: ch, Template: "approved", Recipient: "a@x.pk", Lang: "ur",
		Data: map[string]string{"Number": "VPN-2026-000001"}, Secret: "tok", Attachment: "certificate:VPN-2026-000001", CreatedAt: t0}
}

// The outbox: a duplicate key is a no-op, a claim leases a due message to
// one worker, sent and failed marks need the lease, a failed message comes
// back only by resend, and the secret is gone once sent.
func testOutbox(t *testing.T, db *store.DB) {
	ctx := context.Background()
	write(t, db, func(tx registry.Tx) error {
		for i, k := range []string{"ev1:email", "ev1:sms", "ev1:email", "ev2:email"} {
			ch := registry.ChannelEmail
			if k == "ev1:sms" {
				ch = registry.ChannelSMS
			}
			m := newMessage(fmt.Sprintf("msg_%d", i), k, ch)
			if i == 3 {
				m.NextAt = t0.Add(time.Hour)
			}
			added, err := tx.EnqueueMessage(ctx, m)
			if err != nil {
				return err
			}
			if want := i != 2; added != want {
				t.Errorf("enqueue %s #%d: added %v, want %v", k, i, added, want)
			}
		}
		return nil
	})
	var due []string
	db.Read(ctx, func(tx registry.Tx) (err error) {
		due, err = tx.DueMessages(ctx, bothChannels, t0, 10)
		return err
	})
	if fmt.Sprint(due) != "[msg_0 msg_1]" {
		t.Fatalf("due at t0 = %v, want [msg_0 msg_1] (msg_3 is due in an hour, msg_2 was a duplicate)", due)
	}
	// A worker lists and claims only the channels it can send on.
	db.Read(ctx, func(tx registry.Tx) error {
		for _, tt := range []struct {
			channels []registry.Channel
			want     string
		}{{[]registry.Channel{registry.ChannelEmail}, "[msg_0]"}, {[]registry.Channel{registry.ChannelSMS}, "[msg_1]"}, {nil, "[]"}} {
			if due, err := tx.DueMessages(ctx, tt.channels, t0, 10); err != nil || fmt.Sprint(due) != tt.want {
				t.Errorf("due on %v = %v, %v; want %s", tt.channels, due, err, tt.want)
			}
		}
		return nil
	})
	write(t, db, func(tx registry.Tx) error {
		for _, chs := range [][]registry.Channel{{registry.ChannelEmail}, nil} {
			if m, err := tx.ClaimMessage(ctx, "msg_1", "w1", chs, t0, t0.Add(time.Minute)); err != nil || m != nil {
				t.Errorf("a worker sending on %v claimed an SMS: %+v, %v", chs, m, err)
			}
		}
		return nil
	})
	lease := t0.Add(5 * time.Minute)
	write(t, db, func(tx registry.Tx) error {
		m, err := tx.ClaimMessage(ctx, "msg_0", "w1", bothChannels, t0, lease)
		if err != nil || m == nil {
			t.Fatalf("claim msg_0 = %v, %v", m, err)
		}
		if m.Attempts != 1 || m.LeaseOwner != "w1" || !m.LeaseUntil.Equal(lease) || m.Data["Number"] != "VPN-2026-000001" ||
			m.Attachment != "certificate:VPN-2026-000001" || m.Lang != "ur" || m.Channel != registry.ChannelEmail || m.Secret != "tok" {
			t.Errorf("claimed message = %+v", m)
		}
		if m2, err := tx.ClaimMessage(ctx, "msg_0", "w2", bothChannels, t0, t0.Add(5*time.Minute)); err != nil || m2 != nil {
			t.Errorf("second claim of a leased message = %v, %v; want nil", m2, err)
		}
		if ok, err := tx.MarkMessageSent(ctx, "msg_0", "w2", t0); err != nil || ok {
			t.Errorf("mark sent by a worker without the lease = %v, %v; want false", ok, err)
		}
		return nil
	})
	db.Read(ctx, func(tx registry.Tx) error {
		due, _ := tx.DueMessages(ctx, bothChannels, t0.Add(time.Minute), 10)
		if fmt.Sprint(due) != "[msg_1]" {
			t.Errorf("due while msg_0 is leased = %v, want [msg_1]", due)
		}
		due, _ = tx.DueMessages(ctx, bothChannels, lease, 10)
		if fmt.Sprint(due) != "[msg_0 msg_1]" {
			t.Errorf("due once msg_0's lease ran out = %v, want [msg_0 msg_1]", due)
		}
		return nil
	})
	write(t, db, func(tx registry.Tx) error {
		if ok, err := tx.MarkMessageSent(ctx, "msg_0", "w1", t0.Add(time.Second)); err != nil || !ok {
			t.Errorf("mark sent = %v, %v", ok, err)
		}
		m, err := tx.Message(ctx, "msg_0")
		if err != nil || m.State != registry.MessageSent || m.Secret != "" || !m.SentAt.Equal(t0.Add(time.Second)) || m.LeaseOwner != "" {
			t.Errorf("sent message = %+v, %v; want sent, secret cleared", m, err)
		}
		if ok, _ := tx.MarkMessageSent(ctx, "msg_0", "w1", t0); ok {
			t.Error("a sent message was marked sent twice")
		}
		// msg_1 fails once (retry in a minute), then for good.
		if m, _ := tx.ClaimMessage(ctx, "msg_1", "w1", bothChannels, t0, lease); m == nil {
			t.Fatal("claim msg_1 failed")
		}
		if ok, err := tx.MarkMessageFailed(ctx, "msg_1", "w1", "gateway said 503", t0.Add(time.Minute), false); err != nil || !ok {
			t.Errorf("mark failed = %v, %v", ok, err)
		}
		if m, _ := tx.ClaimMessage(ctx, "msg_1", "w1", bothChannels, t0.Add(30*time.Second), lease); m != nil {
			t.Error("claimed msg_1 before its next attempt was due")
		}
		m, err = tx.ClaimMessage(ctx, "msg_1", "w2", bothChannels, t0.Add(time.Minute), t0.Add(6*time.Minute))
		if err != nil || m == nil || m.Attempts != 2 || m.LastError != "gateway said 503" {
			t.Fatalf("second claim of msg_1 = %+v, %v", m, err)
		}
		if ok, err := tx.MarkMessageFailed(ctx, "msg_1", "w2", "gateway said 500", t0.Add(time.Hour), true); err != nil || !ok {
			t.Errorf("give up = %v, %v", ok, err)
		}
		return nil
	})
	db.Read(ctx, func(tx registry.Tx) error {
		if due, _ := tx.DueMessages(ctx, bothChannels, t0.Add(48*time.Hour), 10); fmt.Sprint(due) != "[msg_3]" {
			t.Errorf("due after msg_1 failed = %v, want [msg_3]", due)
		}
		failed, err := tx.ListMessages(ctx, registry.MessageFailed, 10)
		if err != nil || len(failed) != 1 || failed[0].ID != "msg_1" || failed[0].LastError != "gateway said 500" || failed[0].Attempts != 2 {
			t.Errorf("failed messages = %+v, %v", failed, err)
		}
		all, _ := tx.ListMessages(ctx, "", 10)
		if len(all) != 3 {
			t.Errorf("all messages = %d, want 3", len(all))
		}
		counts, err := tx.CountMessages(ctx)
		if err != nil || fmt.Sprint(counts) != "[{failed sms 1} {pending email 1} {sent email 1}]" {
			t.Errorf("counts = %v, %v", counts, err)
		}
		return nil
	})
	later := t0.Add(72 * time.Hour)
	write(t, db, func(tx registry.Tx) error {
		m, err := tx.ResendMessage(ctx, "msg_1", later)
		if err != nil || m.State != registry.MessagePending || !m.StartedAt.Equal(later) || !m.NextAt.Equal(later) {
			t.Errorf("resend = %+v, %v", m, err)
		}
		_, err = tx.ResendMessage(ctx, "msg_1", later)
		wantCode(t, err, registry.ECONFLICT)
		_, err = tx.ResendMessage(ctx, "msg_nope", later)
		wantCode(t, err, registry.ENOTFOUND)
		// Only sent messages, and only those sent before the cutoff.
		if n, err := tx.DeleteSentMessages(ctx, t0.Add(time.Second), 10); err != nil || n != 0 {
			t.Errorf("DeleteSentMessages at the moment of sending = %d, %v; want 0", n, err)
		}
		if n, err := tx.DeleteSentMessages(ctx, later, 10); err != nil || n != 1 {
			t.Errorf("DeleteSentMessages = %d, %v; want 1 (msg_0)", n, err)
		}
		_, err = tx.Message(ctx, "msg_0")
		wantCode(t, err, registry.ENOTFOUND)
		if all, _ := tx.ListMessages(ctx, "", 10); len(all) != 2 {
			t.Errorf("%d messages left, want 2", len(all))
		}
		return nil
	})
}

// Workers on several connections (replicas) claiming the same due
// messages: each message is claimed by exactly one.
func testOutboxClaimConcurrent(t *testing.T, db *store.DB) {
	ctx := context.Background()
	const n = 20
	write(t, db, func(tx registry.Tx) error {
		for i := 0; i < n; i++ {
			if _, err := tx.EnqueueMessage(ctx, newMessage(fmt.Sprintf("msg_%02d", i), fmt.Sprintf("k%d", i), registry.ChannelEmail)); err != nil {
				return err
			}
		}
		return nil
	})
	var mu sync.Mutex
	claims := map[string][]string{}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(owner string) {
			defer wg.Done()
			var ids []string
			if err := db.Read(ctx, func(tx registry.Tx) (err error) { ids, err = tx.DueMessages(ctx, bothChannels, t0, n); return err }); err != nil {
				t.Error(err)
				return
			}
			for _, id := range ids {
				err := db.Write(ctx, func(tx registry.Tx) error {
					m, err := tx.ClaimMessage(ctx, id, owner, bothChannels, t0, t0.Add(time.Minute))
					if m != nil {
						mu.Lock()
						claims[id] = append(claims[id], owner)
						mu.Unlock()
					}
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}
		}(fmt.Sprintf("w%d", w))
	}
	wg.Wait()
	if len(claims) != n {
		t.Errorf("%d messages claimed, want %d", len(claims), n)
	}
	for id, owners := range claims {
		if len(owners) != 1 {
			t.Errorf("%s claimed by %v, want one worker", id, owners)
		}
	}
}
