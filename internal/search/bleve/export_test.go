package bleve

// SetPartHooks calls before and after around each part of a split search,
// so a test can change the index between the parts' snapshots.
func SetPartHooks(before, after func(part int)) func() {
	partHooks.before, partHooks.after = before, after
	return func() { partHooks.before, partHooks.after = nil, nil }
}
