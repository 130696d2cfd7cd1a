package metrics

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/uptrace/bun"

	"esenzioni/store"
)

// Domain gauges, read from the read model by one query each, cached for a
// while so that scrapes by several Prometheus servers (or a fast scrape
// interval) do not multiply the load on PostgreSQL.
var (
	practicesDesc = prometheus.NewDesc("esenzioni_practices",
		"Practices in the read model, by ASL (Ministry code) and state.", []string{"asl", "state"}, nil)
	oldestWaitingDesc = prometheus.NewDesc("esenzioni_practice_oldest_waiting_seconds",
		"Age of the oldest practice still to do (INVIATA or IN_LAVORAZIONE), by ASL.", []string{"asl"}, nil)
	pendingDesc = prometheus.NewDesc("esenzioni_registry_publications_pending",
		"Exemptions whose latest version the regional registry has not received yet.", nil, nil)
	oldestPendingDesc = prometheus.NewDesc("esenzioni_registry_publication_oldest_pending_seconds",
		"How long the oldest pending registry publication has waited (0: none).", nil, nil)
	remindersFailedDesc = prometheus.NewDesc("esenzioni_reminders_failed",
		"Reminder emails not sent 15 minutes after their first attempt.", nil, nil)
)

// DomainCollector computes the domain gauges from the read model.
type DomainCollector struct {
	DB  *bun.DB
	TTL time.Duration // how long a reading is served again; 0: 30 s

	mu      sync.Mutex
	at      time.Time
	reading domainReading
}

type domainReading struct {
	practices       map[[2]string]float64 // (asl, state) -> count
	oldestWaiting   map[string]float64    // asl -> seconds
	pending         float64
	oldestPending   float64
	remindersFailed float64
}

// Describe implements prometheus.Collector.
func (c *DomainCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{practicesDesc, oldestWaitingDesc, pendingDesc, oldestPendingDesc, remindersFailedDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector: a fresh reading when the cached
// one is older than TTL; on a database error the previous reading is served
// and esenzioni_domain_collect_errors_total counts the failure.
func (c *DomainCollector) Collect(ch chan<- prometheus.Metric) {
	ttl := c.TTL
	if ttl == 0 {
		ttl = 30 * time.Second
	}
	c.mu.Lock()
	if time.Since(c.at) >= ttl {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		r, err := c.read(ctx)
		cancel()
		if err != nil {
			DomainCollectErrors.Inc()
		} else {
			c.reading, c.at = r, time.Now()
		}
	}
	r := c.reading
	c.mu.Unlock()
	for k, v := range r.practices {
		ch <- prometheus.MustNewConstMetric(practicesDesc, prometheus.GaugeValue, v, k[0], k[1])
	}
	for asl, v := range r.oldestWaiting {
		ch <- prometheus.MustNewConstMetric(oldestWaitingDesc, prometheus.GaugeValue, v, asl)
	}
	if r.practices == nil {
		return // never read: no numbers rather than zeros
	}
	ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, r.pending)
	ch <- prometheus.MustNewConstMetric(oldestPendingDesc, prometheus.GaugeValue, r.oldestPending)
	ch <- prometheus.MustNewConstMetric(remindersFailedDesc, prometheus.GaugeValue, r.remindersFailed)
}

func (c *DomainCollector) read(ctx context.Context) (domainReading, error) {
	r := domainReading{practices: map[[2]string]float64{}, oldestWaiting: map[string]float64{}}
	rows, err := c.DB.QueryContext(ctx, `SELECT asl_code, state, count(*) FROM practice GROUP BY asl_code, state`)
	if err != nil {
		return r, err
	}
	for rows.Next() {
		var asl, state string
		var n float64
		if err := rows.Scan(&asl, &state, &n); err != nil {
			rows.Close()
			return r, err
		}
		r.practices[[2]string{strings.TrimSpace(asl), state}] = n
	}
	if err := rows.Close(); err != nil {
		return r, err
	}
	rows, err = c.DB.QueryContext(ctx, `SELECT asl_code, extract(epoch FROM now() - min(created_at))
		FROM practice WHERE state IN ('INVIATA', 'IN_LAVORAZIONE') GROUP BY asl_code`)
	if err != nil {
		return r, err
	}
	for rows.Next() {
		var asl string
		var age float64
		if err := rows.Scan(&asl, &age); err != nil {
			rows.Close()
			return r, err
		}
		r.oldestWaiting[strings.TrimSpace(asl)] = age
	}
	if err := rows.Close(); err != nil {
		return r, err
	}
	// A version is pending from the moment the projection recorded it
	// (updated_at) until the publication activity marks it published.
	// (bun inlines the states: the partial indexes match the literal.)
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*), coalesce(extract(epoch FROM now() - min(updated_at)), 0)
		FROM exemption WHERE publication_state = ?`, store.PublicationPending).Scan(&r.pending, &r.oldestPending); err != nil {
		return r, err
	}
	if err := c.DB.QueryRowContext(ctx, `SELECT count(*) FROM email_outbox
		WHERE state = ? AND created_at < now() - interval '15 minutes'`, store.EmailSending).Scan(&r.remindersFailed); err != nil {
		return r, err
	}
	return r, nil
}

var domainOnce sync.Once

// RegisterDomain adds the domain gauges to Registry (once per process).
func RegisterDomain(db *bun.DB, ttl time.Duration) {
	domainOnce.Do(func() { Registry.MustRegister(&DomainCollector{DB: db, TTL: ttl}) })
}
