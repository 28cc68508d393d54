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

type node struct {
	key  string
	obj  *object
	next []*node
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

func (ix *index) get(key string) *object {
	if n := ix.find(key, nil); n != nil && n.key == key {
		return n.obj
	}
	return nil
}

// put sets the object at key.
func (ix *index) put(key string, obj *object) {
	var update [maxLevel]*node
	n := ix.find(key, update[:])
	if n != nil && n.key == key {
		n.obj = obj
		return
	}
	lvl := randomLevel()
	if lvl > ix.level {
		for i := ix.level; i < lvl; i++ {
			update[i] = &ix.head
		}
		ix.level = lvl
	}
	n = &node{key: key, obj: obj, next: make([]*node, lvl)}
	for i := range lvl {
		n.next[i] = update[i].next[i]
		update[i].next[i] = n
	}
	ix.len++
}

// delete removes key and returns the object it held, or nil.
func (ix *index) delete(key string) *object {
	var update [maxLevel]*node
	n := ix.find(key, update[:])
	if n == nil || n.key != key {
		return nil
	}
	for i := range len(n.next) {
		update[i].next[i] = n.next[i]
	}
	for ix.level > 1 && ix.head.next[ix.level-1] == nil {
		ix.level--
	}
	ix.len--
	return n.obj
}

// seek returns the first node whose key is >= key, or nil.
func (ix *index) seek(key string) *node { return ix.find(key, nil) }
