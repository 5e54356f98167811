package clean

// The Processor's per-id and per-key state lives in two open-addressing
// hash tables keyed by 64-bit xxhashes (linear probing, power-of-two
// sizes, at most 3/4 full). They hold 8 bytes per id slot and 12 per key
// slot, against 16 and 32 in Go maps of the same contents, and so about
// halve the memory of the clean stage (see doc.go, Memory).

// idSet is a set of id hashes with two flag bits per id (seenObserve,
// seenProcess), kept in the top two bits of the stored hash: ids are
// compared on their low 62 bits. 0 marks an empty slot.
type idSet struct {
	slots []uint64
	n     int
}

const (
	idFlagShift = 62
	idHashMask  = 1<<idFlagShift - 1
)

// mark sets flag on id hash h and returns the flags it had before.
func (s *idSet) mark(h uint64, flag uint8) uint8 {
	h &= idHashMask
	if h == 0 {
		h = 1
	}
	if 4*(s.n+1) > 3*len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		v := s.slots[i]
		if v == 0 {
			s.slots[i] = h | uint64(flag)<<idFlagShift
			s.n++
			return 0
		}
		if v&idHashMask == h {
			s.slots[i] = v | uint64(flag)<<idFlagShift
			return uint8(v >> idFlagShift)
		}
	}
}

func (s *idSet) grow() {
	old := s.slots
	s.slots = make([]uint64, max(1024, 2*len(old)))
	mask := uint64(len(s.slots) - 1)
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := v & idHashMask & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = v
	}
}

// keyTable maps key hashes to a packed keyState (see pack). 0 marks an
// empty key slot (a key hash of 0 is stored as 1).
type keyTable struct {
	keys  []uint64
	vals  []uint32
	n     int
	multi [][MaxLabels]uint32 // counts of keys with more than one label
}

// Packed keyState bits: emitted, decided, multi (the low 29 bits index
// multi); otherwise the label index + 1 (0: no labeled row) and its count,
// saturating at 2^26-1.
const (
	packEmitted  = 1 << 31
	packDecided  = 1 << 30
	packMulti    = 1 << 29
	packLabelSh  = 26
	packCountMax = 1<<packLabelSh - 1
)

func fixKey(k uint64) uint64 {
	if k == 0 {
		return 1
	}
	return k
}

// slot returns the slot of key k, inserting an empty state when insert is
// set; found reports whether k was there. Without insert, a missing key
// returns -1.
func (t *keyTable) slot(k uint64, insert bool) (i int, found bool) {
	k = fixKey(k)
	if insert && 4*(t.n+1) > 3*len(t.keys) {
		t.grow()
	}
	if len(t.keys) == 0 {
		return -1, false
	}
	mask := uint64(len(t.keys) - 1)
	for j := k & mask; ; j = (j + 1) & mask {
		switch t.keys[j] {
		case k:
			return int(j), true
		case 0:
			if !insert {
				return -1, false
			}
			t.keys[j], t.vals[j] = k, 0
			t.n++
			return int(j), false
		}
	}
}

func (t *keyTable) grow() {
	oldK, oldV := t.keys, t.vals
	n := max(1024, 2*len(oldK))
	t.keys, t.vals = make([]uint64, n), make([]uint32, n)
	mask := uint64(n - 1)
	for i, k := range oldK {
		if k == 0 {
			continue
		}
		j := k & mask
		for t.keys[j] != 0 {
			j = (j + 1) & mask
		}
		t.keys[j], t.vals[j] = k, oldV[i]
	}
}

// get unpacks the state of slot i.
func (t *keyTable) get(i int) keyState {
	v := t.vals[i]
	ks := keyState{emitted: v&packEmitted != 0, decided: v&packDecided != 0}
	switch {
	case v&packMulti != 0:
		ks.counts = t.multi[v&(packMulti-1)]
	case v>>packLabelSh&7 != 0:
		ks.counts[v>>packLabelSh&7-1] = v & packCountMax
	}
	return ks
}

// set packs ks into slot i.
func (t *keyTable) set(i int, ks keyState) {
	old := t.vals[i]
	var v uint32
	if ks.emitted {
		v |= packEmitted
	}
	if ks.decided {
		v |= packDecided
	}
	label, distinct := -1, 0
	for l, c := range ks.counts {
		if c != 0 {
			label, distinct = l, distinct+1
		}
	}
	switch {
	case old&packMulti != 0:
		idx := old & (packMulti - 1)
		t.multi[idx] = ks.counts
		v |= packMulti | idx
	case distinct > 1:
		v |= packMulti | uint32(len(t.multi))
		t.multi = append(t.multi, ks.counts)
	case distinct == 1:
		v |= uint32(label+1)<<packLabelSh | min(ks.counts[label], packCountMax)
	}
	t.vals[i] = v
}
