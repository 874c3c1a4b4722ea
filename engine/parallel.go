package engine

import (
	"runtime"
	"sync"
)

// forEachParallel calls fn(i) for i in [0, n) on up to GOMAXPROCS goroutines, in
// contiguous chunks: for per-container work that is independent (decoding records,
// reading state files) when listing many containers.
func forEachParallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/64+1)
	if workers <= 1 {
		forEach(n, fn)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for start := 0; start < n; start += chunk {
		end := min(start+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := start; i < end; i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// forEach is forEachParallel's sequential form.
func forEach(n int, fn func(i int)) {
	for i := range n {
		fn(i)
	}
}
