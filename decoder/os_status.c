/* The completion statuses of other systems' captures, named and mapped to
 * the Linux errno that means the same on the bus, so that the rules judge a
 * USBPcap capture as they judge a usbmon one. Windows USBD_STATUS codes:
 * usb.h of the Windows DDK (the values Wireshark's packet-usb.c names). */
#include "internal.h"

/* X(name, code, errno): the Linux errno a Linux host controller driver
 * reports for the same condition */
#define USBD_STATUS_MAP(X)                                                    \
    X(SUCCESS, 0x00000000u, 0)                                                \
    X(PENDING, 0x40000000u, -DFS_LINUX_EINPROGRESS)                           \
    X(INVALID_URB_FUNCTION, 0x80000200u, -DFS_LINUX_EINVAL)                   \
    X(INVALID_PARAMETER, 0x80000300u, -DFS_LINUX_EINVAL)                      \
    X(ERROR_BUSY, 0x80000400u, -DFS_LINUX_EBUSY)                              \
    X(INVALID_PIPE_HANDLE, 0x80000600u, -DFS_LINUX_EINVAL)                    \
    X(NO_BANDWIDTH, 0x80000700u, -DFS_LINUX_ENOSPC)                           \
    X(INTERNAL_HC_ERROR, 0x80000800u, -DFS_LINUX_EIO)                         \
    X(ERROR_SHORT_TRANSFER, 0x80000900u, -DFS_LINUX_EREMOTEIO)                \
    X(CRC, 0xC0000001u, -DFS_LINUX_EILSEQ)                                    \
    X(BTSTUFF, 0xC0000002u, -DFS_LINUX_EPROTO)                                \
    X(DATA_TOGGLE_MISMATCH, 0xC0000003u, -DFS_LINUX_EILSEQ)                   \
    X(STALL_PID, 0xC0000004u, -DFS_LINUX_EPIPE)                               \
    X(DEV_NOT_RESPONDING, 0xC0000005u, -DFS_LINUX_EPROTO)                     \
    X(PID_CHECK_FAILURE, 0xC0000006u, -DFS_LINUX_EPROTO)                      \
    X(UNEXPECTED_PID, 0xC0000007u, -DFS_LINUX_EPROTO)                         \
    X(DATA_OVERRUN, 0xC0000008u, -DFS_LINUX_EOVERFLOW)                        \
    X(DATA_UNDERRUN, 0xC0000009u, -DFS_LINUX_EREMOTEIO)                       \
    X(BUFFER_OVERRUN, 0xC000000Cu, -DFS_LINUX_ECOMM)                          \
    X(BUFFER_UNDERRUN, 0xC000000Du, -DFS_LINUX_ENOSR)                         \
    X(NOT_ACCESSED, 0xC000000Fu, -DFS_LINUX_EXDEV)                            \
    X(FIFO, 0xC0000010u, -DFS_LINUX_ECOMM)                                    \
    X(XACT_ERROR, 0xC0000011u, -DFS_LINUX_EPROTO)                             \
    X(BABBLE_DETECTED, 0xC0000012u, -DFS_LINUX_EOVERFLOW)                     \
    X(DATA_BUFFER_ERROR, 0xC0000013u, -DFS_LINUX_ENOSR)                       \
    X(ENDPOINT_HALTED, 0xC0000030u, -DFS_LINUX_EPIPE)                         \
    X(BAD_START_FRAME, 0xC0000A00u, -DFS_LINUX_EXDEV)                         \
    X(ISOCH_REQUEST_FAILED, 0xC0000B00u, -DFS_LINUX_EXDEV)                    \
    X(FRAME_CONTROL_OWNED, 0xC0000C00u, -DFS_LINUX_EBUSY)                     \
    X(FRAME_CONTROL_NOT_OWNED, 0xC0000D00u, -DFS_LINUX_EINVAL)                \
    X(NOT_SUPPORTED, 0xC0000E00u, -DFS_LINUX_EOPNOTSUPP)                      \
    X(INVALID_CONFIGURATION_DESCRIPTOR, 0xC0000F00u, -DFS_LINUX_EINVAL)       \
    X(INSUFFICIENT_RESOURCES, 0xC0001000u, -DFS_LINUX_ENOMEM)                 \
    X(SET_CONFIG_FAILED, 0xC0002000u, -DFS_LINUX_EIO)                         \
    X(BUFFER_TOO_SMALL, 0xC0003000u, -DFS_LINUX_EINVAL)                       \
    X(INTERFACE_NOT_FOUND, 0xC0004000u, -DFS_LINUX_EINVAL)                    \
    X(INAVLID_PIPE_FLAGS, 0xC0005000u, -DFS_LINUX_EINVAL)                     \
    X(TIMEOUT, 0xC0006000u, -DFS_LINUX_ETIMEDOUT)                             \
    X(DEVICE_GONE, 0xC0007000u, -DFS_LINUX_ENODEV)                            \
    X(STATUS_NOT_MAPPED, 0xC0008000u, -DFS_LINUX_EIO)                         \
    X(HUB_INTERNAL_ERROR, 0xC0009000u, -DFS_LINUX_EIO)                        \
    X(CANCELED, 0xC0010000u, -DFS_LINUX_ENOENT)                               \
    X(ISO_NOT_ACCESSED_BY_HW, 0xC0020000u, -DFS_LINUX_EXDEV)                  \
    X(ISO_TD_ERROR, 0xC0030000u, -DFS_LINUX_EXDEV)                            \
    X(ISO_NA_LATE_USBPORT, 0xC0040000u, -DFS_LINUX_EXDEV)                     \
    X(ISO_NOT_ACCESSED_LATE, 0xC0050000u, -DFS_LINUX_EXDEV)                   \
    X(BAD_DESCRIPTOR, 0xC0100000u, -DFS_LINUX_EINVAL)                         \
    X(BAD_DESCRIPTOR_BLEN, 0xC0100001u, -DFS_LINUX_EINVAL)                    \
    X(BAD_DESCRIPTOR_TYPE, 0xC0100002u, -DFS_LINUX_EINVAL)                    \
    X(BAD_INTERFACE_DESCRIPTOR, 0xC0100003u, -DFS_LINUX_EINVAL)               \
    X(BAD_ENDPOINT_DESCRIPTOR, 0xC0100004u, -DFS_LINUX_EINVAL)                \
    X(BAD_INTERFACE_ASSOC_DESCRIPTOR, 0xC0100005u, -DFS_LINUX_EINVAL)         \
    X(BAD_CONFIG_DESC_LENGTH, 0xC0100006u, -DFS_LINUX_EINVAL)                 \
    X(BAD_NUMBER_OF_INTERFACES, 0xC0100007u, -DFS_LINUX_EINVAL)               \
    X(BAD_NUMBER_OF_ENDPOINTS, 0xC0100008u, -DFS_LINUX_EINVAL)                \
    X(BAD_ENDPOINT_ADDRESS, 0xC0100009u, -DFS_LINUX_EINVAL)

const char *dfs_usbd_status_name(uint32_t status)
{
    switch (status) {
#define X(name, code, err)                                                    \
    case code:                                                                \
        return "USBD_STATUS_" #name;
        USBD_STATUS_MAP(X)
#undef X
    }
    return NULL;
}

int32_t dfs_usbd_status_errno(uint32_t status)
{
    switch (status) {
#define X(name, code, err)                                                    \
    case code:                                                                \
        return err;
        USBD_STATUS_MAP(X)
#undef X
    }
    /* the top two bits say what kind of code it is: 00 success, 01
     * pending, 10 and 11 errors */
    if ((status >> 30) == 0)
        return 0;
    if ((status >> 30) == 1)
        return -DFS_LINUX_EINPROGRESS;
    return -DFS_LINUX_EIO;
}

/* macOS IOReturn codes: IOKit's IOReturn.h (iokit_common_err: 0xE0000000 |
 * code), the legacy IOUSBFamily's USB.h (iokit_usb_err: 0xE0004000 | code)
 * and IOUSBHost's IOUSBHostFamilyDefinitions.h (0xE0005000 | code). */
#define IORETURN_MAP(X)                                                       \
    X(kIOReturnSuccess, 0x00000000u, 0)                                       \
    X(kIOReturnError, 0xE00002BCu, -DFS_LINUX_EIO)                            \
    X(kIOReturnNoMemory, 0xE00002BDu, -DFS_LINUX_ENOMEM)                      \
    X(kIOReturnNoResources, 0xE00002BEu, -DFS_LINUX_ENOMEM)                   \
    X(kIOReturnNoDevice, 0xE00002C0u, -DFS_LINUX_ENODEV)                      \
    X(kIOReturnNotPrivileged, 0xE00002C1u, -DFS_LINUX_EPERM)                  \
    X(kIOReturnBadArgument, 0xE00002C2u, -DFS_LINUX_EINVAL)                   \
    X(kIOReturnExclusiveAccess, 0xE00002C5u, -DFS_LINUX_EBUSY)                \
    X(kIOReturnUnsupported, 0xE00002C7u, -DFS_LINUX_EOPNOTSUPP)               \
    X(kIOReturnInternalError, 0xE00002C9u, -DFS_LINUX_EIO)                    \
    X(kIOReturnIOError, 0xE00002CAu, -DFS_LINUX_EIO)                          \
    X(kIOReturnNotOpen, 0xE00002CDu, -DFS_LINUX_EBADF)                        \
    X(kIOReturnBusy, 0xE00002D5u, -DFS_LINUX_EBUSY)                           \
    X(kIOReturnTimeout, 0xE00002D6u, -DFS_LINUX_ETIMEDOUT)                    \
    X(kIOReturnOffline, 0xE00002D7u, -DFS_LINUX_ENODEV)                       \
    X(kIOReturnNotReady, 0xE00002D8u, -DFS_LINUX_EAGAIN)                      \
    X(kIOReturnNotAttached, 0xE00002D9u, -DFS_LINUX_ENODEV)                   \
    X(kIOReturnNotPermitted, 0xE00002E2u, -DFS_LINUX_EPERM)                   \
    X(kIOReturnNoPower, 0xE00002E3u, -DFS_LINUX_ENODEV)                       \
    X(kIOReturnUnderrun, 0xE00002E7u, -DFS_LINUX_EREMOTEIO)                   \
    X(kIOReturnOverrun, 0xE00002E8u, -DFS_LINUX_EOVERFLOW)                    \
    X(kIOReturnDeviceError, 0xE00002E9u, -DFS_LINUX_EPROTO)                   \
    X(kIOReturnNoCompletion, 0xE00002EAu, -DFS_LINUX_EIO)                     \
    X(kIOReturnAborted, 0xE00002EBu, -DFS_LINUX_ENOENT)                       \
    X(kIOReturnNoBandwidth, 0xE00002ECu, -DFS_LINUX_ENOSPC)                   \
    X(kIOReturnNotResponding, 0xE00002EDu, -DFS_LINUX_EPROTO)                 \
    X(kIOReturnNotFound, 0xE00002F0u, -DFS_LINUX_ENODEV)                      \
    X(kIOUSBCRCErr, 0xE0004001u, -DFS_LINUX_EILSEQ)                           \
    X(kIOUSBBitstufErr, 0xE0004002u, -DFS_LINUX_EPROTO)                       \
    X(kIOUSBDataToggleErr, 0xE0004003u, -DFS_LINUX_EILSEQ)                    \
    X(kIOUSBPIDCheckErr, 0xE0004006u, -DFS_LINUX_EPROTO)                      \
    X(kIOUSBWrongPIDErr, 0xE0004007u, -DFS_LINUX_EPROTO)                      \
    X(kIOUSBBufferOverrunErr, 0xE000400Cu, -DFS_LINUX_ECOMM)                  \
    X(kIOUSBBufferUnderrunErr, 0xE000400Du, -DFS_LINUX_ENOSR)                 \
    X(kIOUSBNotSent1Err, 0xE000400Eu, -DFS_LINUX_EPROTO)                      \
    X(kIOUSBNotSent2Err, 0xE000400Fu, -DFS_LINUX_EPROTO)                      \
    X(kIOUSBLinkErr, 0xE0004010u, -DFS_LINUX_EPROTO)                          \
    X(kIOUSBPipeStalled, 0xE000404Fu, -DFS_LINUX_EPIPE)                       \
    X(kIOUSBTransactionReturned, 0xE0004050u, -DFS_LINUX_ENOENT)              \
    X(kIOUSBTransactionTimeout, 0xE0004051u, -DFS_LINUX_ETIMEDOUT)            \
    X(kUSBHostReturnPipeStalled, 0xE0005000u, -DFS_LINUX_EPIPE)               \
    X(kUSBHostReturnNoPower, 0xE0005001u, -DFS_LINUX_ENODEV)

const char *dfs_ioreturn_name(uint32_t status)
{
    switch (status) {
#define X(name, code, err)                                                    \
    case code:                                                                \
        return #name;
        IORETURN_MAP(X)
#undef X
    }
    return NULL;
}

int32_t dfs_ioreturn_errno(uint32_t status)
{
    switch (status) {
#define X(name, code, err)                                                    \
    case code:                                                                \
        return err;
        IORETURN_MAP(X)
#undef X
    }
    return status ? -DFS_LINUX_EIO : 0;
}
