package memstorage

import "math/rand/v2"

// index is a skip list of objects ordered by key (UTF-8 byte order, which is Go's string
// order). Seeking costs O(log n) and a page of listing O(log n + page), instead of sorting every
// key per List. It is not safe for concurrent use: Bucket guards it.
type index struct {
	head  node
	level int
	len   int
}

const maxLevel = 24 // enough for 4^24 keys at p = 1/4

// A node holds its object by value and, for the three nodes in four that have one level, its
// link in the same allocation, so walking a listing touches one or two cache lines per key
// instead of chasing separate link and object allocations.
type node struct {
	key    string
	next   []*node
	inline [1]*node
	obj    object
}

func newIndex() *index {
	return &index{head: node{next: make([]*node, maxLevel)}, level: 1}
}

func randomLevel() int {
	l := 1
	for l < maxLevel && rand.Uint32()&3 == 0 {
		l++
	}
	return l
}

// find fills update with the last node at each level whose key is < key, and returns the node at
// level 0 after it (the first with key >= key), or nil.
func (ix *index) find(key string, update []*node) *node {
	x := &ix.head
	for i := ix.level - 1; i >= 0; i-- {
		for x.next[i] != nil && x.next[i].key < key {
			x = x.next[i]
		}
		if update != nil {
			update[i] = x
		}
	}
	return x.next[0]
}

// get returns a copy of the object at key: the node's copy may be replaced once the caller
// releases the bucket's lock.
func (ix *index) get(key string) (object, bool) {
	if n := ix.find(key, nil); n != nil && n.key == key {
		return n.obj, true
	}
	return object{}, false
}

// put sets the object at key.
func (ix *index) put(key string, obj *object) {
	var update [maxLevel]*node
	n := ix.find(key, update[:])
	if n != nil && n.key == key {
		n.obj = *obj
		return
	}
	lvl := randomLevel()
	if lvl > ix.level {
		for i := ix.level; i < lvl; i++ {
			update[i] = &ix.head
		}
		ix.level = lvl
	}
	n = &node{key: key, obj: *obj}
	if lvl == 1 {
		n.next = n.inline[:]
	} else {
		n.next = make([]*node, lvl)
	}
	for i := range lvl {
		n.next[i] = update[i].next[i]
		update[i].next[i] = n
	}
	ix.len++
}

// delete removes key and reports whether it was there.
func (ix *index) delete(key string) bool {
	var update [maxLevel]*node
	n := ix.find(key, update[:])
	if n == nil || n.key != key {
		return false
	}
	for i := range len(n.next) {
		update[i].next[i] = n.next[i]
	}
	for ix.level > 1 && ix.head.next[ix.level-1] == nil {
		ix.level--
	}
	ix.len--
	return true
}

// seek returns the first node whose key is >= key, or nil.
func (ix *index) seek(key string) *node { return ix.find(key, nil) }
