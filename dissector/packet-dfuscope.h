/* dfuscope Wireshark plugin: protocol registration (packet-dfuscope.c),
 * called from the plugin entry points (plugin.c). */
#ifndef DFS_DISSECTOR_PACKET_DFUSCOPE_H
#define DFS_DISSECTOR_PACKET_DFUSCOPE_H

void dfs__proto_register(void);
void dfs__proto_reg_handoff(void);

#endif
