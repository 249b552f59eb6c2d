package mongo

import (
	"bytes"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

func rawDoc(t *testing.T, v int) bson.Raw {
	t.Helper()
	b, err := bson.Marshal(bson.D{{Key: "_id", Value: "x"}, {Key: "v", Value: v}})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// written is a write of document id of collection "c" that leaves no new
// state: tombstoned before and after.
func written(c *docCache, id string) { c.finish(c.begin("c", []string{id}), nil) }

func cachedV(t *testing.T, c *docCache, id string) (int32, bool) {
	t.Helper()
	raw, found, _ := c.get("c", id)
	if !found {
		return 0, false
	}
	if raw == nil {
		return -1, true
	}
	return raw.Lookup("v").Int32(), true
}

// A lookup that missed before a write and read the old state must not
// install it after the write dropped the entry: whether the entry was
// there, absent or never seen.
func TestDocCache_MissBeforeWriteDoesNotInstallOldState(t *testing.T) {
	c := newDocCache(1 << 20)

	// Never seen: the miss sees no entry, the write leaves a tombstone.
	_, _, t1 := c.get("c", "a")
	written(c, "a")
	c.install(t1, rawDoc(t, 1))
	if _, found := cachedV(t, c, "a"); found {
		t.Fatal("a read begun before the write installed its old state")
	}
	// After the tombstone: a new miss installs.
	_, _, t2 := c.get("c", "a")
	c.install(t2, rawDoc(t, 2))
	if v, _ := cachedV(t, c, "a"); v != 2 {
		t.Fatalf("cached %d, want 2", v)
	}

	// A known absence dropped by an insert.
	_, _, t3 := c.get("c", "b")
	c.install(t3, nil)
	if v, found := cachedV(t, c, "b"); !found || v != -1 {
		t.Fatal("absence not cached")
	}
	written(c, "b")
	if _, found := cachedV(t, c, "b"); found {
		t.Fatal("a dropped absence still answers")
	}

	// Two misses around one write: only the one after it installs.
	_, _, before := c.get("c", "d")
	written(c, "d")
	_, _, after := c.get("c", "d")
	c.install(after, rawDoc(t, 5))
	c.install(before, rawDoc(t, 4))
	if v, _ := cachedV(t, c, "d"); v != 5 {
		t.Fatalf("cached %d, want the state after the write (5)", v)
	}

	// An eviction between miss and install (the tombstone may be gone)
	// refuses the install.
	_, _, t4 := c.get("c", "e")
	written(c, "e")
	c.dropAll("c")
	c.install(t4, rawDoc(t, 6))
	if _, found := cachedV(t, c, "e"); found {
		t.Fatal("a read begun before a write installed after an eviction")
	}
}

// A write tombstones its documents before it runs: a lookup during the
// write installs nothing, whatever state it read, and the state the write
// leaves is installed only over the write's own tombstone.
func TestDocCache_WriteInProgress(t *testing.T) {
	c := newDocCache(1 << 20)
	_, _, tk := c.get("c", "a")
	c.install(tk, rawDoc(t, 1))

	w := c.begin("c", []string{"a"})
	if v, _ := bson.Raw(w.prev[0]).Lookup("v").Int32OK(); v != 1 {
		t.Fatalf("begin saw %d, want the cached 1", v)
	}
	if _, found := cachedV(t, c, "a"); found {
		t.Fatal("a document being written still answers")
	}
	_, _, during := c.get("c", "a") // reads the store during the write
	c.finish(w, []bson.Raw{rawDoc(t, 2)})
	c.install(during, rawDoc(t, 2))
	if v, _ := cachedV(t, c, "a"); v != 2 {
		t.Fatalf("after the write %d, want 2", v)
	}
	// A read during the write that installs before it ends does not survive
	// it, and an update of what it installed is not applied.
	w = c.begin("c", []string{"a"})
	_, _, during = c.get("c", "a")
	c.install(during, rawDoc(t, 3))
	c.finish(w, []bson.Raw{rawDoc(t, 4)})
	if _, found := cachedV(t, c, "a"); found {
		t.Fatal("a state read during a write survived it")
	}
	// A write without a next state leaves a tombstone.
	_, _, tk = c.get("c", "b")
	c.install(tk, rawDoc(t, 1))
	w = c.begin("c", []string{"b"})
	c.finish(w, nil)
	if _, found := cachedV(t, c, "b"); found {
		t.Fatal("a written document answers without being read again")
	}
}

// The cache stays within its bound however much is read, and one document
// larger than a sixteenth of it is never cached.
func TestDocCache_StaysWithinBound(t *testing.T) {
	const max = 64 << 10
	c := newDocCache(max)
	for i := range 5000 {
		id := string(rune('a'+i%26)) + string(rune('0'+i/26%10)) + string(rune(i))
		_, _, tk := c.get("c", id)
		c.install(tk, rawDoc(t, i))
		if c.size > max {
			t.Fatalf("size %d over the bound %d after %d installs", c.size, max, i+1)
		}
		if i%7 == 0 {
			written(c, id)
		}
	}
	if len(c.entries) == 0 {
		t.Fatal("nothing cached")
	}
	big := make([]byte, max/8)
	raw, _ := bson.Marshal(bson.D{{Key: "_id", Value: "big"}, {Key: "b", Value: big}})
	_, _, tk := c.get("c", "big")
	c.install(tk, raw)
	if _, found := cachedV(t, c, "big"); found {
		t.Fatal("a document of an eighth of the cache was cached")
	}
	sum := 0
	for k, e := range c.entries {
		sum += len(e.raw) + len(k.coll) + len(k.id) + entryOverhead
	}
	if sum != c.size {
		t.Fatalf("accounted size %d, entries hold %d", c.size, sum)
	}
}

func TestFilterIDs(t *testing.T) {
	o := bson.NewObjectID()
	for _, tc := range []struct {
		filter any
		want   []string
		ok     bool
	}{
		{bson.D{{Key: "_id", Value: o}}, []string{o.Hex()}, true},
		{bson.D{{Key: "_id", Value: "p:u"}, {Key: "value", Value: "yes"}}, []string{"p:u"}, true},
		{bson.D{{Key: "author_id", Value: "u"}, {Key: "_id", Value: o}}, []string{o.Hex()}, true},
		{bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: []string{"a", "b"}}}}}, []string{"a", "b"}, true},
		{bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: "a"}}}}, nil, false},
		{bson.D{{Key: "user_id", Value: "u"}}, nil, false},
		{bson.M{"_id": "a"}, nil, false},
	} {
		got, ok := filterIDs(tc.filter)
		if ok != tc.ok || len(got) != len(tc.want) || ok && got[0] != tc.want[0] {
			t.Errorf("filterIDs(%v) = %v, %v; want %v, %v", tc.filter, got, ok, tc.want, tc.ok)
		}
	}
}

func TestApplyUpdate(t *testing.T) {
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	doc, _ := bson.Marshal(bson.D{{Key: "_id", Value: "x"}, {Key: "n", Value: int32(2)}, {Key: "big", Value: int64(1) << 40},
		{Key: "tally", Value: bson.D{{Key: "support", Value: int32(1)}}}, {Key: "at", Value: bson.NewDateTimeFromTime(at)}, {Key: "s", Value: "alt"}})
	for _, tc := range []struct {
		name   string
		update bson.D
		want   bson.D // nil: refused
	}{
		{"inc, nested, new fields", bson.D{{Key: "$inc", Value: bson.D{{Key: "n", Value: 1}, {Key: "tally.support", Value: -1}, {Key: "tally.yes", Value: 1}, {Key: "m", Value: int64(5)}}}},
			bson.D{{Key: "_id", Value: "x"}, {Key: "n", Value: int32(3)}, {Key: "big", Value: int64(1) << 40},
				{Key: "tally", Value: bson.D{{Key: "support", Value: int32(0)}, {Key: "yes", Value: int32(1)}}}, {Key: "at", Value: bson.NewDateTimeFromTime(at)}, {Key: "s", Value: "alt"}, {Key: "m", Value: int64(5)}}},
		{"set and max", bson.D{{Key: "$set", Value: bson.D{{Key: "s", Value: "neu"}}}, {Key: "$max", Value: bson.D{{Key: "at", Value: at.Add(-time.Hour)}, {Key: "big", Value: int64(3)}}}},
			bson.D{{Key: "_id", Value: "x"}, {Key: "n", Value: int32(2)}, {Key: "big", Value: int64(1) << 40},
				{Key: "tally", Value: bson.D{{Key: "support", Value: int32(1)}}}, {Key: "at", Value: bson.NewDateTimeFromTime(at)}, {Key: "s", Value: "neu"}}},
		{"max moves later", bson.D{{Key: "$max", Value: bson.D{{Key: "at", Value: at.Add(time.Hour)}}}},
			bson.D{{Key: "_id", Value: "x"}, {Key: "n", Value: int32(2)}, {Key: "big", Value: int64(1) << 40},
				{Key: "tally", Value: bson.D{{Key: "support", Value: int32(1)}}}, {Key: "at", Value: bson.NewDateTimeFromTime(at.Add(time.Hour))}, {Key: "s", Value: "alt"}}},
		{"push one value", bson.D{{Key: "$push", Value: bson.D{{Key: "ids", Value: "a"}}}},
			bson.D{{Key: "_id", Value: "x"}, {Key: "n", Value: int32(2)}, {Key: "big", Value: int64(1) << 40},
				{Key: "tally", Value: bson.D{{Key: "support", Value: int32(1)}}}, {Key: "at", Value: bson.NewDateTimeFromTime(at)}, {Key: "s", Value: "alt"}, {Key: "ids", Value: bson.A{"a"}}}},
		{"push with modifiers", bson.D{{Key: "$push", Value: bson.D{{Key: "ids", Value: bson.D{{Key: "$each", Value: bson.A{"a"}}}}}}}, nil},
		{"push onto a scalar", bson.D{{Key: "$push", Value: bson.D{{Key: "s", Value: "a"}}}}, nil},
		{"unknown operator", bson.D{{Key: "$pull", Value: bson.D{{Key: "ids", Value: "a"}}}}, nil},
		{"inc of a string", bson.D{{Key: "$inc", Value: bson.D{{Key: "s", Value: 1}}}}, nil},
		{"path through a scalar", bson.D{{Key: "$set", Value: bson.D{{Key: "n.x", Value: 1}}}}, nil},
		{"_id", bson.D{{Key: "$set", Value: bson.D{{Key: "_id", Value: "y"}}}}, nil},
	} {
		got := applyUpdate(doc, tc.update)
		if tc.want == nil {
			if got != nil {
				t.Errorf("%s: applied, want refused", tc.name)
			}
			continue
		}
		want, _ := bson.Marshal(tc.want)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, bson.Raw(got), bson.Raw(want))
		}
	}
}
