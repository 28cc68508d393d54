package memtable

import (
	"sort"

	"github.com/servous/servous/table/internal/item"
)

// entry is one stored item. Its attribute map is never modified once stored: writers
// replace entries, so readers may use a map after releasing the lock.
type entry struct {
	ord  item.Ord
	item item.Item
	size int
}

// maxChunk bounds a chunk's length, so an insert moves at most that many pointers while a
// lookup stays a binary search over chunks and then within one.
const maxChunk = 512

// partition holds a partition's entries in sort key order, split into chunks of at most
// maxChunk entries.
type partition struct {
	chunks [][]*entry
	n      int
}

// pos is an entry's position: chunk c, index i.
type pos struct{ c, i int }

// lowerBound returns the position of the first entry not less than o (or, with strict,
// greater than o); at the end it is {len(chunks), 0}.
func (p *partition) lowerBound(o item.Ord, strict bool) pos {
	less := func(e *entry) bool {
		r := e.ord.Cmp(o)
		return r < 0 || (strict && r == 0)
	}
	c := sort.Search(len(p.chunks), func(c int) bool {
		ch := p.chunks[c]
		return !less(ch[len(ch)-1])
	})
	if c == len(p.chunks) {
		return pos{c, 0}
	}
	ch := p.chunks[c]
	return pos{c, sort.Search(len(ch), func(i int) bool { return !less(ch[i]) })}
}

func (p *partition) at(q pos) *entry {
	if q.c >= len(p.chunks) || q.c < 0 {
		return nil
	}
	return p.chunks[q.c][q.i]
}

func (p *partition) next(q pos) pos {
	q.i++
	if q.i == len(p.chunks[q.c]) {
		return pos{q.c + 1, 0}
	}
	return q
}

// prev returns the position before q; before the first entry it is {-1, 0}.
func (p *partition) prev(q pos) pos {
	if q.i > 0 {
		return pos{q.c, q.i - 1}
	}
	if q.c == 0 {
		return pos{-1, 0}
	}
	return pos{q.c - 1, len(p.chunks[q.c-1]) - 1}
}

// find returns the entry with sort key o.
func (p *partition) find(o item.Ord) (*entry, pos) {
	q := p.lowerBound(o, false)
	if e := p.at(q); e != nil && e.ord.Cmp(o) == 0 {
		return e, q
	}
	return nil, q
}

// set stores e, replacing an entry with the same sort key; it returns the replaced entry.
func (p *partition) set(e *entry) *entry {
	old, q := p.find(e.ord)
	if old != nil {
		p.chunks[q.c][q.i] = e
		return old
	}
	p.n++
	if len(p.chunks) == 0 {
		p.chunks = [][]*entry{{e}}
		return nil
	}
	if q.c == len(p.chunks) {
		q = pos{q.c - 1, len(p.chunks[q.c-1])}
	}
	ch := append(p.chunks[q.c], nil)
	copy(ch[q.i+1:], ch[q.i:])
	ch[q.i] = e
	if len(ch) <= maxChunk {
		p.chunks[q.c] = ch
		return nil
	}
	half := len(ch) / 2
	left := append([]*entry(nil), ch[:half]...)
	right := append([]*entry(nil), ch[half:]...)
	p.chunks = append(p.chunks, nil)
	copy(p.chunks[q.c+2:], p.chunks[q.c+1:])
	p.chunks[q.c], p.chunks[q.c+1] = left, right
	return nil
}

// remove deletes the entry with sort key o and returns it.
func (p *partition) remove(o item.Ord) *entry {
	old, q := p.find(o)
	if old == nil {
		return nil
	}
	p.n--
	ch := p.chunks[q.c]
	copy(ch[q.i:], ch[q.i+1:])
	ch[len(ch)-1] = nil
	ch = ch[:len(ch)-1]
	if len(ch) == 0 {
		p.chunks = append(p.chunks[:q.c], p.chunks[q.c+1:]...)
	} else {
		p.chunks[q.c] = ch
	}
	return old
}
