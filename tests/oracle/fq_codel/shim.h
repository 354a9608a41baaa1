// The kernel definitions net/sched/sch_fq_codel.c and include/net/codel*.h need, for building
// their enqueue and dequeue in user space (record_fq_codel.ts). Nothing here is fq_codel's own.
#ifndef FQ_SHIM_H
#define FQ_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stdbool.h>
#include <limits.h>
#include <stddef.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;
#define NSEC_PER_MSEC 1000000L
#define NSEC_PER_USEC 1000L
#define typecheck(type, x) 1
#define do_div(n, base) ((n) /= (base))
#define likely(x) (x)
#define unlikely(x) (x)
#define READ_ONCE(x) (x)
#define WRITE_ONCE(x, v) ((x) = (v))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define fallthrough
#define rcu_dereference_bh(p) (p)
#define __rcu

struct list_head { struct list_head *next, *prev; };
static inline void INIT_LIST_HEAD(struct list_head *l) { l->next = l; l->prev = l; }
static inline int list_empty(const struct list_head *l) { return l->next == l; }
static inline void __list_del(struct list_head *e) { e->prev->next = e->next; e->next->prev = e->prev; }
static inline void list_add_tail(struct list_head *e, struct list_head *h) {
  e->prev = h->prev; e->next = h; h->prev->next = e; h->prev = e;
}
static inline void list_del_init(struct list_head *e) { __list_del(e); INIT_LIST_HEAD(e); }
static inline void list_move_tail(struct list_head *e, struct list_head *h) { __list_del(e); list_add_tail(e, h); }
#define list_first_entry(h, type, member) container_of((h)->next, type, member)

struct sk_buff { struct sk_buff *next, *prev; unsigned int len; u32 priority; u32 hash; unsigned int truesize; int id; int ect; char cb[48]; };
struct sk_buff_head { struct sk_buff *next, *prev; u32 qlen; };
static inline void skb_mark_not_on_list(struct sk_buff *skb) { skb->next = NULL; }
static inline u32 skb_get_hash(struct sk_buff *skb) { return skb->hash; }
static inline struct sk_buff *skb_peek(struct sk_buff_head *h) { return h->qlen ? h->next : NULL; }
static inline void __skb_queue_head(struct sk_buff_head *h, struct sk_buff *skb) { skb->next = h->next; h->next = skb; h->qlen++; }
static inline int skb_get_dsfield(struct sk_buff *skb) { return -1; }
static inline u32 reciprocal_scale(u32 val, u32 ep_ro) { return (u32)(((u64)val * ep_ro) >> 32); }

struct qdisc_skb_cb { unsigned int pkt_len; u16 slave_dev_queue_mapping; u16 tc_classid; unsigned char data[20]; };
#define qdisc_skb_cb(skb) ((struct qdisc_skb_cb *)(skb)->cb)
#define qdisc_cb_private_validate(skb, sz)

struct Qdisc {
  struct { u32 qlen; } q;
  struct { u32 qlen, backlog, drops, requeues, overlimits; } qstats;
  u32 limit, handle;
  struct sk_buff_head gso_skb;
  u64 bytes, packets;
  void *priv;
};
#define qdisc_priv(sch) ((sch)->priv)
static inline unsigned int qdisc_pkt_len(const struct sk_buff *skb) { return skb->len; }
static inline void qdisc_qstats_backlog_inc(struct Qdisc *sch, const struct sk_buff *skb) { sch->qstats.backlog += skb->len; }
static inline void qdisc_qstats_drop(struct Qdisc *sch) { sch->qstats.drops++; }
static inline void __qdisc_qstats_drop(struct Qdisc *sch, int n) { sch->qstats.drops += n; }
static inline void qdisc_bstats_update(struct Qdisc *sch, const struct sk_buff *skb) { sch->bytes += skb->len; sch->packets++; }
static inline void qdisc_tree_reduce_backlog(struct Qdisc *sch, int n, int len) {}

// what was freed, in order: the driver prints it
extern int freed[100000];
extern int nfreed;
static inline void __qdisc_drop(struct sk_buff *skb, struct sk_buff **to_free) { freed[nfreed++] = skb->id; }
static inline void kfree_skb(struct sk_buff *skb) { freed[nfreed++] = skb->id; }

#define NET_XMIT_SUCCESS 0x00
#define NET_XMIT_DROP 0x01
#define NET_XMIT_CN 0x02
#define __NET_XMIT_STOLEN 0x00010000
#define __NET_XMIT_BYPASS 0x00020000
#define TC_H_MAJ(h) ((h) & 0xFFFF0000U)
#define TC_H_MIN(h) ((h) & 0x0000FFFFU)
struct tcf_proto;
struct tcf_block;
struct tcf_result { u32 classid; };
static inline int tcf_classify_qdisc(struct sk_buff *skb, const struct tcf_proto *tp, struct tcf_result *res, bool compat) { return -1; }

extern u64 now_ns;
static inline u64 ktime_get_ns(void) { return now_ns; }
// an ECN-capable packet (ECT) takes CE: marked; any other is not
static inline int INET_ECN_set_ce(struct sk_buff *skb) { return skb->ect; }
#endif
