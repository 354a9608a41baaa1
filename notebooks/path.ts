// The whole receive path in one picture: a box per chapter, in the order a packet meets them,
// with the kernel functions the chapter follows; each box links to its chapter. Chapter 0 shows
// it (figures/receive-path.svg, links to the notebooks) and the book's index inlines it (links to
// the HTML pages). `deno run -A notebooks/path.ts` writes the figure again.

/** A chapter's box: its file's stem, title, and the functions a packet passes there. */
export interface PathStage {
  /** The notebook's name without .ipynb, such as `01-nic`. */
  chapter: string;
  /** What the box says first. */
  title: string;
  /** The kernel functions, in the order a packet passes them. */
  functions: string[];
}

/** The stages, chapter by chapter, in path order. */
export const RECEIVE_PATH: PathStage[] = [
  {
    chapter: "00-boot",
    title: "0 Boot",
    functions: ["do_initcalls", "net_dev_init", "inet_init", "dev_activate"],
  },
  {
    chapter: "01-nic",
    title: "1 NIC",
    functions: ["virtio-net device: DMA into the receive ring", "virtqueue_add_inbuf"],
  },
  {
    chapter: "02-interrupts",
    title: "2 Interrupts",
    functions: ["vring_interrupt", "skb_recv_done", "virtqueue_napi_schedule"],
  },
  {
    chapter: "03-softirq",
    title: "3 Softirq",
    functions: ["__raise_softirq_irqoff(NET_RX)", "handle_softirqs / ksoftirqd", "net_rx_action"],
  },
  {
    chapter: "04-napi",
    title: "4 NAPI",
    functions: ["napi_poll", "virtnet_poll", "virtnet_receive", "receive_buf"],
  },
  {
    chapter: "05-gro",
    title: "5 GRO",
    functions: ["napi_gro_receive", "dev_gro_receive", "inet_gro_receive", "gro_normal_list"],
  },
  {
    chapter: "06-rps",
    title: "6 RPS / RFS",
    functions: ["netif_receive_skb_list_internal", "get_rps_cpu", "enqueue_to_backlog"],
  },
  {
    chapter: "07-l2",
    title: "7 L2 hand-off",
    functions: ["__netif_receive_skb_core", "deliver_skb", "ip_list_rcv / ip_rcv"],
  },
  {
    chapter: "08-netfilter",
    title: "8 Netfilter",
    functions: ["NF_HOOK(PRE_ROUTING)", "nf_hook_slow", "nft_do_chain"],
  },
  {
    chapter: "09-routing",
    title: "9 Routing",
    functions: ["ip_rcv_finish", "ip_route_input_noref", "ip_local_deliver / ip_forward"],
  },
  {
    chapter: "10-sockets",
    title: "10 UDP sockets",
    functions: ["udp_rcv", "__udp4_lib_rcv", "__udp_enqueue_schedule_skb", "udp_recvmsg"],
  },
  {
    chapter: "11-tcp",
    title: "11 TCP",
    functions: ["tcp_v4_rcv", "tcp_v4_do_rcv", "tcp_rcv_established", "tcp_recvmsg"],
  },
  {
    chapter: "12-way-out",
    title: "12 The way out",
    functions: ["ip_output", "neigh_output", "__dev_queue_xmit", "sch_direct_xmit", "start_xmit"],
  },
  {
    chapter: "13-where-did-it-drop",
    title: "13 Where did my packet drop?",
    functions: ["kfree_skb_reason", "every drop point above, found from its counter"],
  },
];

const BOX_W = 640, BOX_H = 44, GAP = 16, X = 20, TOP = 44;

function esc(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * The picture as SVG: a box per stage, top to bottom, an arrow from each to the next (boot
 * stands apart, above), each box a link.
 * @param ext the chapters' extension in the links: `.ipynb` for the notebooks, `.html` for the
 *   book
 * @returns the SVG document
 */
export function pathDiagramSvg(ext: ".ipynb" | ".html"): string {
  const height = TOP + RECEIVE_PATH.length * (BOX_H + GAP);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
    `width="${BOX_W + 2 * X}" height="${height}" viewBox="0 0 ${BOX_W + 2 * X} ${height}" ` +
    `font-family="DejaVu Sans, sans-serif">`,
    `<text x="${X}" y="26" font-size="16" font-weight="bold">` +
    `The Linux receive path, a chapter per box</text>`,
  ];
  RECEIVE_PATH.forEach((stage, i) => {
    const y = TOP + i * (BOX_H + GAP);
    const fill = i === 0 ? "#eeeeee" : i >= 12 ? "#fdebd0" : "#dbe9f6";
    parts.push(
      `<a xlink:href="${stage.chapter}${ext}" href="${stage.chapter}${ext}">` +
        `<rect x="${X}" y="${y}" width="${BOX_W}" height="${BOX_H}" rx="6" ` +
        `fill="${fill}" stroke="#4a6fa5"/>` +
        `<text x="${X + 10}" y="${y + 18}" font-size="13" font-weight="bold">` +
        `${esc(stage.title)}</text>` +
        `<text x="${X + 10}" y="${
          y + 36
        }" font-size="11" font-family="DejaVu Sans Mono, monospace">` +
        `${esc(stage.functions.join(" → "))}</text></a>`,
    );
    if (i >= 1 && i <= RECEIVE_PATH.length - 3) {
      const ay = y + BOX_H;
      parts.push(
        `<path d="M ${X + BOX_W / 2} ${ay} v ${GAP - 4} l -4 -6 m 4 6 l 4 -6" ` +
          `stroke="#4a6fa5" fill="none"/>`,
      );
    }
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

if (import.meta.main) {
  const out = new URL("./figures/receive-path.svg", import.meta.url).pathname;
  Deno.writeTextFileSync(out, pathDiagramSvg(".ipynb"));
  console.log(`wrote ${out}`);
}
