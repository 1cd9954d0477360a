/* dfuscope Wireshark plugin: the entry points Wireshark 4.0 looks up.
 * These four symbols are the only ones the module exports. */
#include <wireshark.h>

#include <epan/proto.h>

#include "packet-dfuscope.h"

#ifndef DFS_PLUGIN_VERSION
#define DFS_PLUGIN_VERSION "0.0.0"
#endif

WS_DLL_PUBLIC_DEF const gchar plugin_version[] = DFS_PLUGIN_VERSION;
WS_DLL_PUBLIC_DEF const int plugin_want_major = WIRESHARK_VERSION_MAJOR;
WS_DLL_PUBLIC_DEF const int plugin_want_minor = WIRESHARK_VERSION_MINOR;

WS_DLL_PUBLIC void plugin_register(void);

void plugin_register(void)
{
    static proto_plugin plug;
    plug.register_protoinfo = dfs__proto_register;
    plug.register_handoff = dfs__proto_reg_handoff;
    proto_register_plugin(&plug);
}
