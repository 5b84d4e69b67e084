package api

import "github.com/prometheus/client_golang/prometheus/testutil"

// FeedWaiting is ipreg_feed_waiting, for tests that wait for a long-poll
// to be held.
func (s *Server) FeedWaiting() float64 { return testutil.ToFloat64(s.metrics.waiting) }
