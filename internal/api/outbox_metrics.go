package api

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ipreg/ipreg/internal/registry"
)

// outboxCollector exports the outbox's messages by state and channel,
// counted in the database at each scrape, so every replica reports the
// same shared queue.
type outboxCollector struct {
	svc  *registry.Service
	desc *prometheus.Desc
	errs prometheus.Counter
}

func newOutboxCollector(svc *registry.Service) *outboxCollector {
	return &outboxCollector{svc: svc,
		desc: prometheus.NewDesc("ipreg_outbox_messages", "Notification outbox messages by state (pending, sent, failed) and channel (email, sms).",
			[]string{"state", "channel"}, nil),
		errs: prometheus.NewCounter(prometheus.CounterOpts{Name: "ipreg_outbox_count_errors_total",
			Help: "Scrapes whose count of outbox messages failed."})}
}

func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	c.errs.Describe(ch)
}

func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.svc.OutboxCounts(ctx)
	if err != nil {
		c.errs.Inc()
	}
	// Every state and channel, zeros included, so alerts on "failed > 0"
	// have a series to watch from the start.
	n := map[[2]string]int{}
	for _, m := range counts {
		n[[2]string{string(m.State), string(m.Channel)}] = m.N
	}
	for _, st := range []registry.MessageState{registry.MessagePending, registry.MessageSent, registry.MessageFailed} {
		for _, chn := range []registry.Channel{registry.ChannelEmail, registry.ChannelSMS} {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n[[2]string{string(st), string(chn)}]), string(st), string(chn))
		}
	}
	c.errs.Collect(ch)
}
