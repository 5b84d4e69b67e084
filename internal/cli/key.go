package cli

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/publish"
)

func runKey(ctx context.Context, args []string, env Env, stdio IO) error {
	sub := ""
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	var dir string
	dataDir := func(fs *flag.FlagSet) {
		fs.StringVar(&dir, "data-dir", "./ipreg-data", "the data directory that holds the signing keys")
	}
	switch sub {
	case "show":
		var next bool
		fs := flagSet("key show", "Print the feed's public signing key in the ed25519:… form that ipreg-agent's\n--trust-key takes, alone on standard output, so that --trust-key \"$(ipreg key show)\" works during a\nrotation too (a note on standard error names the next key then; --next prints it instead). Give the --data-dir\nthat ipreg serve uses; a directory without a key (ipreg serve creates it at its first\nstart) is refused rather than given a new one, which no registry would sign with.", stdio)
		fs.BoolVar(&next, "next", false, "print the next key, announced by ipreg key rotate and not yet switched to (refused when no rotation is under way)")
		dataDir(fs)
		if err := parse(fs, args, env); err != nil {
			return err
		}
		keys := publish.Keys{Dir: dir}
		if ok, err := keys.Exists(); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%s holds no feed signing key: give the --data-dir that ipreg serve uses (ipreg serve creates the key at its first start)", dir)
		}
		cur, nextKey, err := keys.Load()
		if err != nil {
			return err
		}
		if next {
			if nextKey == nil {
				return fmt.Errorf("no rotation is under way in %s: there is no next key (ipreg key rotate announces one)", dir)
			}
			fmt.Fprintln(stdio.Stdout, feed.FormatPublicKey(nextKey.Public().(ed25519.PublicKey)))
			return nil
		}
		fmt.Fprintln(stdio.Stdout, feed.FormatPublicKey(cur.Public().(ed25519.PublicKey)))
		if nextKey != nil {
			// On standard error, so that $(ipreg key show) stays one key.
			fmt.Fprintln(stdio.Stderr, "ipreg: a rotation is under way: the next key is "+feed.FormatPublicKey(nextKey.Public().(ed25519.PublicKey))+" (agents learn it from the feed; ipreg key show --next prints it alone)")
		}
		return nil
	case "rotate":
		var force bool
		fs := flagSet("key rotate", fmt.Sprintf("Rotate the feed's signing key in two steps. The first run creates the next key, which\nnotifications announce (next_signing_key) while still signed with the current one, so\nagents learn it. A run at least %s later switches to it. With several replicas, copy\nthe key files to every replica's data directory after each step, and back them up: the feed-state\nmarker records the keys, and ipreg serve refuses to start with key files from before a switch.\nA --data-dir holding no key (a mistyped one) is refused, not given one.", publish.MinAnnounce), stdio)
		fs.BoolVar(&force, "force", false, "switch to the next key even if it was announced less than "+publish.MinAnnounce.String()+" ago")
		dataDir(fs)
		if err := parse(fs, args, env); err != nil {
			return err
		}
		// As key show: a mistyped --data-dir is refused, not given a
		// current key, a next one and a feed-state marker of its own
		// (second tester, issue 14).
		if ok, err := (publish.Keys{Dir: dir}).Exists(); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%s holds no feed signing key: give the --data-dir that ipreg serve uses (ipreg serve creates the key at its first start)", dir)
		}
		msg, err := publish.Keys{Dir: dir}.Rotate(time.Now(), force)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdio.Stdout, msg)
		return nil
	case "show-certificate":
		fs := flagSet("key show-certificate", "Print the certificate signing keys: one a line, the public key in the ed25519:… form, its id,\nand \"current <time made>\" or \"retired <time>\" (a retired key verifies only the certificates issued before that time).\nThe output is a keys file that ipreg verify-certificate --keys takes, for checks without the network.", stdio)
		dataDir(fs)
		if err := parse(fs, args, env); err != nil {
			return err
		}
		keys := certificate.Keys{Dir: dir}
		if ok, err := keys.Exists(); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("%s holds no certificate signing key: give the --data-dir that ipreg serve uses (ipreg serve creates the key at its first start)", dir)
		}
		ks, err := keys.Load()
		if err != nil {
			return err
		}
		for _, k := range ks.Public {
			status := "current " + k.Since.Format(time.RFC3339)
			if k.Retired {
				status = "retired " + k.RetiredAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(stdio.Stdout, "%s %s %s\n", feed.FormatPublicKey(k.Key), k.ID, status)
		}
		return nil
	case "rotate-certificate":
		fs := flagSet("key rotate-certificate", "Retire the certificate signing key and make a new one, in one step: certificates made from now on\nare signed with the new key; the old public key stays published (GET /api/v1/keys, status retired) and keeps\nverifying the certificates it signed. ipreg serve reads the key at each certificate, so no restart is needed.\nWith several replicas, copy certificate-signing-key.pem and certificate-keys-retired to every replica's\ndata directory, and back them up: a lost retired key leaves its certificates unverifiable.", stdio)
		dataDir(fs)
		if err := parse(fs, args, env); err != nil {
			return err
		}
		id, err := certificate.Keys{Dir: dir}.Rotate(time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Stdout, "certificates are now signed with key %s; the previous key is retired and still verifies the certificates it signed\n", id)
		return nil
	}
	return groupUsage(append([]string{sub}, args...), stdio, "Usage: ipreg key show|rotate|show-certificate|rotate-certificate [flags]   (--help on each)")
}
