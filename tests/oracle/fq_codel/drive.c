// Runs the kernel's own fq_codel enqueue and dequeue (net/sched/sch_fq_codel.c with include/net/codel*.h,
// unmodified) on operations read from stdin: "t NS" sets the clock, "L N" the limit, "M N" the
// memory limit, "Q N" the quantum, "e ID HASH LEN TRUESIZE" enqueues ("E …" an ECN-capable
// packet), "d" dequeues. After each it prints [result, qlen, backlog, drops, drop_overlimit,
// new_flow_count, maxpacket, ecn_mark, [ids freed]] (the result: the enqueue's code, or the
// dequeued id, -1 for none).
#include "shim.h"
#include <net/codel.h>
#include <net/codel_impl.h>
#include <net/codel_qdisc.h>
int freed[100000]; int nfreed; u64 now_ns;
#include FQ_PART /* lines of net/sched/sch_fq_codel.c, from struct fq_codel_flow to fq_codel_peek() */
int main(void) {
  static struct Qdisc sch; static struct fq_codel_sched_data q;
  sch.priv = &q; sch.limit = 10240; sch.handle = 0x10000;
  q.flows_cnt = 1024; q.quantum = 1514; q.drop_batch_size = 64; q.memory_limit = 32 << 20;
  q.flows = calloc(q.flows_cnt, sizeof(*q.flows)); q.backlogs = calloc(q.flows_cnt, sizeof(u32));
  // as fq_codel_init() sets them
  codel_params_init(&q.cparams); codel_stats_init(&q.cstats); q.cparams.ecn = true; q.cparams.mtu = 1514;
  INIT_LIST_HEAD(&q.new_flows); INIT_LIST_HEAD(&q.old_flows);
  for (u32 i = 0; i < q.flows_cnt; i++) { INIT_LIST_HEAD(&q.flows[i].flowchain); codel_vars_init(&q.flows[i].cvars); }
  char op[8];
  while (scanf("%7s", op) == 1) {
    nfreed = 0; int got = -2;
    if (!strcmp(op, "t")) { unsigned long long t; scanf("%llu", &t); now_ns = t; continue; }
    if (!strcmp(op, "L")) { scanf("%u", &sch.limit); continue; }
    if (!strcmp(op, "M")) { scanf("%u", &q.memory_limit); continue; }
    if (!strcmp(op, "Q")) { scanf("%u", &q.quantum); continue; }
    if (!strcmp(op, "e") || !strcmp(op, "E")) {
      struct sk_buff *skb = calloc(1, sizeof(*skb)); unsigned int len, tsz; u32 h;
      scanf("%d %u %u %u", &skb->id, &h, &len, &tsz); skb->hash = h; skb->len = len; skb->truesize = tsz;
      skb->ect = op[0] == 'E';
      struct sk_buff *to_free = NULL; got = fq_codel_enqueue(skb, &sch, &to_free);
    } else if (!strcmp(op, "d")) {
      struct sk_buff *skb = fq_codel_dequeue(&sch); got = skb ? skb->id : -1;
    } else return 1;
    printf("[%d,%u,%u,%u,%u,%u,%u,%u,[", got, sch.q.qlen, sch.qstats.backlog, sch.qstats.drops,
           q.drop_overlimit, q.new_flow_count, q.cstats.maxpacket, q.cstats.ecn_mark);
    for (int i = 0; i < nfreed; i++) printf(i ? ",%d" : "%d", freed[i]);
    printf("]]\n");
  }
  return 0;
}
