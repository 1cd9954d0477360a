/* dfuscope: umbrella header of the decoder library. */
#ifndef DFUSCOPE_DFUSCOPE_H
#define DFUSCOPE_DFUSCOPE_H

#include "result.h"
#include "usb.h"
#include "dfu.h"
#include "descriptors.h"
#include "events.h"
#include "findings.h"
#include "decoder.h"

#define DFS_VERSION_STRING "0.1.0"

#endif
