package storage

// BeginWrite brackets a build or a commit as the copies into the store are
// bracketed (copyGuard): while it runs, a failed pull in another engine process
// does not take the layers it has applied but not yet recorded in an image for
// leftovers, and when it fails, end(true) removes such layers of its own.
func (s *Store) BeginWrite() (end func(failed bool), err error) {
	g, err := s.beginCopy()
	if err != nil {
		return nil, err
	}
	return g.end, nil
}
