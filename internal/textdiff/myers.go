package textdiff

import "math"

// tooExpensive bounds the number of edit steps the middle-snake search of
// one subproblem takes before it settles for the furthest point reached
// (the heuristic GNU diff uses without --minimal). Below it the diff is
// minimal; above it the cost stays near O((N+M)·tooExpensive) instead of
// O((N+M)·D), so two unrelated long texts are still compared quickly.
const tooExpensive = 256

// differ finds the shortest edit script between two sequences of interned
// tokens with Myers' O(ND) algorithm in linear space (the divide and
// conquer over middle snakes of GNU diff's analyze.c).
type differ struct {
	a, b       []int32
	delA, insB []bool // the result: deleted from a, inserted in b
	fd, bd     []int  // furthest x per diagonal, forward and backward
	off        int    // index of diagonal 0 in fd and bd
	limit      int
	cutOff     bool // whether some split gave up on a minimal path
}

func newDiffer(a, b []int32, limit int) *differ {
	n := len(a) + len(b) + 3
	return &differ{
		a:     a,
		b:     b,
		delA:  make([]bool, len(a)),
		insB:  make([]bool, len(b)),
		fd:    make([]int, n),
		bd:    make([]int, n),
		off:   len(b) + 1,
		limit: limit,
	}
}

// diffTokens marks which elements of a are deleted and which of b are
// inserted; the unmarked ones, in order, are a common subsequence.
func diffTokens(a, b []int32, limit int) (delA, insB []bool) {
	d := newDiffer(a, b, limit)
	d.compare(0, len(a), 0, len(b))
	return d.delA, d.insB
}

// compare diffs a[xoff:xlim] against b[yoff:ylim].
func (d *differ) compare(xoff, xlim, yoff, ylim int) {
	for {
		for xoff < xlim && yoff < ylim && d.a[xoff] == d.b[yoff] {
			xoff++
			yoff++
		}
		for xlim > xoff && ylim > yoff && d.a[xlim-1] == d.b[ylim-1] {
			xlim--
			ylim--
		}
		switch {
		case xoff == xlim:
			for y := yoff; y < ylim; y++ {
				d.insB[y] = true
			}
			return
		case yoff == ylim:
			for x := xoff; x < xlim; x++ {
				d.delA[x] = true
			}
			return
		}
		xmid, ymid := d.split(xoff, xlim, yoff, ylim)
		// Recurse into the smaller half and loop on the larger, so the
		// stack stays logarithmic even when the splits are lopsided.
		if (xmid-xoff)+(ymid-yoff) < (xlim-xmid)+(ylim-ymid) {
			d.compare(xoff, xmid, yoff, ymid)
			xoff, yoff = xmid, ymid
		} else {
			d.compare(xmid, xlim, ymid, ylim)
			xlim, ylim = xmid, ymid
		}
	}
}

// split returns a point on a shortest edit path through
// a[xoff:xlim] × b[yoff:ylim] strictly between its corners, found by
// running the search forward from the start and backward from the end
// until they overlap. The caller has trimmed common ends, so both ranges
// are non-empty and the first and last elements differ.
func (d *differ) split(xoff, xlim, yoff, ylim int) (xmid, ymid int) {
	a, b := d.a, d.b
	fd, bd, o := d.fd, d.bd, d.off
	dmin, dmax := xoff-ylim, xlim-yoff
	fmid, bmid := xoff-yoff, xlim-ylim
	fmin, fmax, bmin, bmax := fmid, fmid, bmid, bmid
	odd := (fmid-bmid)&1 != 0
	fd[o+fmid] = xoff
	bd[o+bmid] = xlim
	for c := 1; ; c++ {
		if fmin > dmin {
			fmin--
			fd[o+fmin-1] = -1
		} else {
			fmin++
		}
		if fmax < dmax {
			fmax++
			fd[o+fmax+1] = -1
		} else {
			fmax--
		}
		for k := fmax; k >= fmin; k -= 2 {
			tlo, thi := fd[o+k-1], fd[o+k+1]
			x := thi
			if tlo >= thi {
				x = tlo + 1
			}
			y := x - k
			for x < xlim && y < ylim && a[x] == b[y] {
				x++
				y++
			}
			fd[o+k] = x
			if odd && bmin <= k && k <= bmax && bd[o+k] <= x {
				return x, y
			}
		}

		if bmin > dmin {
			bmin--
			bd[o+bmin-1] = math.MaxInt
		} else {
			bmin++
		}
		if bmax < dmax {
			bmax++
			bd[o+bmax+1] = math.MaxInt
		} else {
			bmax--
		}
		for k := bmax; k >= bmin; k -= 2 {
			tlo, thi := bd[o+k-1], bd[o+k+1]
			x := thi - 1
			if tlo < thi {
				x = tlo
			}
			y := x - k
			for x > xoff && y > yoff && a[x-1] == b[y-1] {
				x--
				y--
			}
			bd[o+k] = x
			if !odd && fmin <= k && k <= fmax && x <= fd[o+k] {
				return x, y
			}
		}

		if c >= d.limit {
			d.cutOff = true
			return d.furthest(xoff, xlim, yoff, ylim, fmin, fmax, bmin, bmax)
		}
	}
}

// furthest gives up on a minimal path: it returns whichever of the
// forward and backward fronts got furthest from its corner. Each front has
// moved at least one step, so the point lies strictly inside and the
// recursion still makes progress.
func (d *differ) furthest(xoff, xlim, yoff, ylim, fmin, fmax, bmin, bmax int) (int, int) {
	fd, bd, o := d.fd, d.bd, d.off
	fxybest, fxbest := -1, 0
	for k := fmax; k >= fmin; k -= 2 {
		x := min(fd[o+k], xlim)
		y := x - k
		if ylim < y {
			x, y = ylim+k, ylim
		}
		if fxybest < x+y {
			fxybest, fxbest = x+y, x
		}
	}
	bxybest, bxbest := math.MaxInt, 0
	for k := bmax; k >= bmin; k -= 2 {
		x := max(xoff, bd[o+k])
		y := x - k
		if y < yoff {
			x, y = yoff+k, yoff
		}
		if x+y < bxybest {
			bxybest, bxbest = x+y, x
		}
	}
	if (xlim+ylim)-bxybest < fxybest-(xoff+yoff) {
		return fxbest, fxybest - fxbest
	}
	return bxbest, bxybest - bxbest
}

// interner numbers distinct strings so sequences compare as integers.
type interner map[string]int32

func (in interner) ids(toks []string) []int32 {
	out := make([]int32, len(toks))
	for i, t := range toks {
		id, ok := in[t]
		if !ok {
			id = int32(len(in))
			in[t] = id
		}
		out[i] = id
	}
	return out
}
