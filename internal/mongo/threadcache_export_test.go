package mongo

// ForgetThreads drops the threads kept in memory, so the next read loads
// them again: tests make loads race with writes with it.
func (d *DB) ForgetThreads() { d.threads.Forget() }

// AfterThreadLoad sets a func to run between a thread load's reads and the
// cache taking their result; set it before the reads it is meant for.
// It reports false when d keeps no threads in memory.
func (d *DB) AfterThreadLoad(f func()) bool {
	if d.threads == nil {
		return false
	}
	d.threads.afterLoad = f
	return true
}
