package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// procStat is the CPU time (seconds) and parent of a process, from
// /proc/PID/stat.
func procStat(pid int) (cpu float64, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return (u + k) / 100, ppid, true // clock ticks (USER_HZ = 100)
}

// treeCPU is the CPU time of a process and its direct children (the
// PostgreSQL backends of a postmaster). Backends that ended meanwhile are
// not counted: the benchmarks keep their connections open.
func treeCPU(root int) float64 {
	total, _, _ := procStat(root)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == root {
			continue
		}
		if cpu, ppid, ok := procStat(pid); ok && ppid == root {
			total += cpu
		}
	}
	return total
}

// CPU is the processor time spent by each part of the stack during a
// phase, in milliseconds per operation.
type CPU struct {
	TemporalMS float64 `json:"temporalMsPerOp"`
	PostgresMS float64 `json:"postgresMsPerOp"`
	AppMS      float64 `json:"appMsPerOp"` // this process: web, worker, clients
}

type cpuMark struct{ temporal, postgres, app float64 }

func (e *env) cpuMark() cpuMark {
	self, _, _ := procStat(os.Getpid())
	t, _, _ := procStat(e.stack.Temporal.PID())
	return cpuMark{temporal: t, postgres: treeCPU(e.stack.Postgres.PID()), app: self}
}

// since is the CPU per operation from m to now.
func (e *env) cpuSince(m cpuMark, ops int) CPU {
	now := e.cpuMark()
	per := func(a, b float64) float64 { return round2((b - a) * 1000 / float64(max(ops, 1))) }
	return CPU{TemporalMS: per(m.temporal, now.temporal), PostgresMS: per(m.postgres, now.postgres), AppMS: per(m.app, now.app)}
}
