package mongo

import (
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// applyUpdate returns doc as an update of $inc, $set, $max and $push (of
// one value) leaves it,
// or nil when the update holds anything else (the cache then reads the
// document again). Paths may be dotted ("tally.support"). Numbers add as
// the server adds them: two 32-bit integers stay 32-bit unless the sum
// overflows, any double makes a double.
func applyUpdate(doc bson.Raw, update any) bson.Raw {
	ops, ok := update.(bson.D)
	if !ok || len(ops) == 0 {
		return nil
	}
	var d bson.D
	if err := bson.Unmarshal(doc, &d); err != nil {
		return nil
	}
	for _, op := range ops {
		fields, ok := op.Value.(bson.D)
		if !ok {
			return nil
		}
		for _, f := range fields {
			if f.Key == "_id" || f.Key == "" {
				return nil
			}
			var ok bool
			switch op.Key {
			case "$set":
				ok = setPath(&d, f.Key, func(_ any, _ bool) (any, bool) { return f.Value, true })
			case "$inc":
				ok = setPath(&d, f.Key, func(old any, had bool) (any, bool) {
					if !had {
						old = int32(0)
					}
					return addNumbers(old, f.Value)
				})
			case "$max":
				ok = setPath(&d, f.Key, func(old any, had bool) (any, bool) {
					if !had {
						return f.Value, true
					}
					return maxOf(old, f.Value)
				})
			case "$push":
				ok = setPath(&d, f.Key, func(old any, had bool) (any, bool) {
					if _, isDoc := f.Value.(bson.D); isDoc { // $each and other modifiers
						return nil, false
					}
					if !had {
						return bson.A{f.Value}, true
					}
					list, isList := old.(bson.A)
					if !isList {
						return nil, false
					}
					return append(list[:len(list):len(list)], f.Value), true
				})
			}
			if !ok {
				return nil
			}
		}
	}
	out, err := bson.Marshal(d)
	if err != nil {
		return nil
	}
	return out
}

// setPath sets the field at a dotted path of d to what change makes of
// its old value, creating embedded documents on the way; false when the
// path runs through something other than a document or change refuses.
func setPath(d *bson.D, path string, change func(old any, had bool) (any, bool)) bool {
	name, rest, nested := strings.Cut(path, ".")
	for i := range *d {
		e := &(*d)[i]
		if e.Key != name {
			continue
		}
		if !nested {
			v, ok := change(e.Value, true)
			if ok {
				e.Value = v
			}
			return ok
		}
		sub, ok := e.Value.(bson.D)
		if !ok {
			return false
		}
		if !setPath(&sub, rest, change) {
			return false
		}
		e.Value = sub
		return true
	}
	if nested {
		sub := bson.D{}
		if !setPath(&sub, rest, change) {
			return false
		}
		*d = append(*d, bson.E{Key: name, Value: sub})
		return true
	}
	v, ok := change(nil, false)
	if ok {
		*d = append(*d, bson.E{Key: name, Value: v})
	}
	return ok
}

// number returns v as an int64 or a float64 and whether it is 32-bit.
func number(v any) (i int64, f float64, isFloat, is32, ok bool) {
	switch n := v.(type) {
	case int32:
		return int64(n), 0, false, true, true
	case int64:
		return n, 0, false, false, true
	case int:
		return int64(n), 0, false, int64(int32(n)) == int64(n), true
	case float64:
		return 0, n, true, false, true
	}
	return 0, 0, false, false, false
}

func addNumbers(a, b any) (any, bool) {
	ai, af, aF, a32, ok1 := number(a)
	bi, bf, bF, b32, ok2 := number(b)
	if !ok1 || !ok2 {
		return nil, false
	}
	if aF || bF {
		if !aF {
			af = float64(ai)
		}
		if !bF {
			bf = float64(bi)
		}
		return af + bf, true
	}
	sum := ai + bi
	if (bi > 0 && sum < ai) || (bi < 0 && sum > ai) {
		return nil, false // overflows 64 bits: the server refuses, leave it to it
	}
	if a32 && b32 && int64(int32(sum)) == sum {
		return int32(sum), true
	}
	return sum, true
}

// maxOf keeps the later of two times or the larger of two numbers; other
// kinds are left to the server.
func maxOf(old, v any) (any, bool) {
	if t, ok := v.(time.Time); ok {
		o, ok := old.(bson.DateTime)
		if !ok {
			return nil, false
		}
		nv := bson.NewDateTimeFromTime(t)
		if nv > o {
			return nv, true
		}
		return o, true
	}
	oi, _, oF, _, ok1 := number(old)
	vi, _, vF, _, ok2 := number(v)
	if !ok1 || !ok2 || oF || vF {
		return nil, false
	}
	if vi > oi {
		return v, true
	}
	return old, true
}
