/*
 * ndis/miniport.h -- an NDIS 6 miniport driver's registration (the WDK's
 * ndis.h): the MINIPORT_* role types with their handler pointer types, the
 * parameter structures they take, NDIS_MINIPORT_DRIVER_CHARACTERISTICS and
 * NdisMRegisterMiniportDriver / NdisMDeregisterMiniportDriver.
 * Part of <ndis.h>; include that, not this file.
 *
 * Enough for a DriverEntry file that declares every handler with its role type
 * and fills the whole characteristics structure.  shmfuzz calls two of those
 * handlers: SetOptionsHandler (from inside NdisMRegisterMiniportDriver, as
 * NDIS does) and UnloadHandler (from the driver object's unload routine).
 * The others are checked for presence at registration, never called; the
 * structures only they take (NET_BUFFER_LIST, NDIS_OID_REQUEST, ...) are
 * declared, not defined.
 *
 * NDIS version macros: NDIS_MINIPORT_MAJOR_VERSION / _MINOR_VERSION follow the
 * NDISxxx_MINIPORT macro the driver defines (6.30 when it defines none), and
 * NDIS_SUPPORT_NDIS6 .. NDIS_SUPPORT_NDIS630 are 1: the surface shmfuzz
 * implements is NDIS 6.30's.
 */
/* Included alone, this file first includes <ndis.h>, which includes it in its
   place among the other parts. */
#ifndef SHMF_NDIS_MINIPORT_H
#include <ndis.h>
#endif
#ifndef SHMF_NDIS_MINIPORT_H
#define SHMF_NDIS_MINIPORT_H

#if !defined(NDIS_MINIPORT_MAJOR_VERSION)
#define NDIS_MINIPORT_MAJOR_VERSION 6
#if defined(NDIS686_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 86
#elif defined(NDIS685_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 85
#elif defined(NDIS684_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 84
#elif defined(NDIS683_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 83
#elif defined(NDIS682_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 82
#elif defined(NDIS681_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 81
#elif defined(NDIS680_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 80
#elif defined(NDIS670_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 70
#elif defined(NDIS660_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 60
#elif defined(NDIS651_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 51
#elif defined(NDIS650_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 50
#elif defined(NDIS640_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 40
#elif defined(NDIS620_MINIPORT)
#define NDIS_MINIPORT_MINOR_VERSION 20
#else
#define NDIS_MINIPORT_MINOR_VERSION 30
#endif
#endif
#ifndef NDIS_SUPPORT_NDIS6
#define NDIS_SUPPORT_NDIS6 1
#define NDIS_SUPPORT_NDIS61 1
#define NDIS_SUPPORT_NDIS620 1
#define NDIS_SUPPORT_NDIS630 1
#endif

SHMF_EXTERN_C_START

#define NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS 0x81
#define NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS 0x8A

/* === Parameters of the handlers === */

typedef struct _CM_PARTIAL_RESOURCE_LIST NDIS_RESOURCE_LIST, *PNDIS_RESOURCE_LIST;
typedef struct _NDIS_PORT_AUTHENTICATION_PARAMETERS NDIS_PORT_AUTHENTICATION_PARAMETERS,
    *PNDIS_PORT_AUTHENTICATION_PARAMETERS;
typedef struct _NDIS_PCI_DEVICE_CUSTOM_PROPERTIES NDIS_PCI_DEVICE_CUSTOM_PROPERTIES,
    *PNDIS_PCI_DEVICE_CUSTOM_PROPERTIES;

#define NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1 1
typedef struct _NDIS_MINIPORT_INIT_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    PNDIS_RESOURCE_LIST AllocatedResources;
    NDIS_HANDLE IMDeviceInstanceContext;
    NDIS_HANDLE MiniportAddDeviceContext;
    NET_IFINDEX IfIndex;
    NET_LUID NetLuid;
    PNDIS_PORT_AUTHENTICATION_PARAMETERS DefaultPortAuthStates;
    PNDIS_PCI_DEVICE_CUSTOM_PROPERTIES PciDeviceCustomProperties;
} NDIS_MINIPORT_INIT_PARAMETERS, *PNDIS_MINIPORT_INIT_PARAMETERS;
#define NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1                                             \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_INIT_PARAMETERS, PciDeviceCustomProperties)

#define NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1 1
typedef struct _NDIS_MINIPORT_RESTART_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    PNDIS_RESTART_ATTRIBUTES RestartAttributes;
    ULONG Flags;
} NDIS_MINIPORT_RESTART_PARAMETERS, *PNDIS_MINIPORT_RESTART_PARAMETERS;
#define NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1                                         \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_RESTART_PARAMETERS, Flags)

#define NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1 1
typedef struct _NDIS_MINIPORT_PAUSE_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    ULONG PauseReason;
} NDIS_MINIPORT_PAUSE_PARAMETERS, *PNDIS_MINIPORT_PAUSE_PARAMETERS;
#define NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1                                           \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_PAUSE_PARAMETERS, PauseReason)

typedef enum _NDIS_HALT_ACTION SHMF_ENUM_INT {
    NdisHaltDeviceDisabled,
    NdisHaltDeviceInstanceDeInitialized,
    NdisHaltDevicePoweredDown,
    NdisHaltDeviceSurpriseRemoved,
    NdisHaltDeviceFailed,
    NdisHaltDeviceInitializationFailed,
    NdisHaltDeviceStopped
} NDIS_HALT_ACTION,
    *PNDIS_HALT_ACTION;

/* The WDK declares PNDIS_SHUTDOWN_ACTION as the enum itself, not a pointer. */
typedef enum _NDIS_SHUTDOWN_ACTION SHMF_ENUM_INT {
    NdisShutdownPowerOff,
    NdisShutdownBugCheck
} NDIS_SHUTDOWN_ACTION,
    PNDIS_SHUTDOWN_ACTION;

/* === Role types (declare a handler as `MINIPORT_HALT MpHaltEx;`) === */

typedef NDIS_STATUS(MINIPORT_INITIALIZE)(NDIS_HANDLE NdisMiniportHandle,
                                         NDIS_HANDLE MiniportDriverContext,
                                         PNDIS_MINIPORT_INIT_PARAMETERS MiniportInitParameters);
typedef MINIPORT_INITIALIZE(*MINIPORT_INITIALIZE_HANDLER);
typedef VOID(MINIPORT_HALT)(NDIS_HANDLE MiniportAdapterContext, NDIS_HALT_ACTION HaltAction);
typedef MINIPORT_HALT(*MINIPORT_HALT_HANDLER);
typedef NDIS_STATUS(MINIPORT_PAUSE)(NDIS_HANDLE MiniportAdapterContext,
                                    PNDIS_MINIPORT_PAUSE_PARAMETERS PauseParameters);
typedef MINIPORT_PAUSE(*MINIPORT_PAUSE_HANDLER);
typedef NDIS_STATUS(MINIPORT_RESTART)(NDIS_HANDLE MiniportAdapterContext,
                                      PNDIS_MINIPORT_RESTART_PARAMETERS RestartParameters);
typedef MINIPORT_RESTART(*MINIPORT_RESTART_HANDLER);
typedef NDIS_STATUS(MINIPORT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                          PNDIS_OID_REQUEST OidRequest);
typedef MINIPORT_OID_REQUEST(*MINIPORT_OID_REQUEST_HANDLER);
typedef VOID(MINIPORT_UNLOAD)(PDRIVER_OBJECT DriverObject);
typedef MINIPORT_UNLOAD(*MINIPORT_DRIVER_UNLOAD);
typedef VOID(MINIPORT_SHUTDOWN)(NDIS_HANDLE MiniportAdapterContext,
                                NDIS_SHUTDOWN_ACTION ShutdownAction);
typedef MINIPORT_SHUTDOWN(*MINIPORT_SHUTDOWN_HANDLER);
typedef VOID(MINIPORT_DEVICE_PNP_EVENT_NOTIFY)(NDIS_HANDLE MiniportAdapterContext,
                                               PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);
typedef MINIPORT_DEVICE_PNP_EVENT_NOTIFY(*MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER);
typedef VOID(MINIPORT_CANCEL_SEND)(NDIS_HANDLE MiniportAdapterContext, PVOID CancelId);
typedef MINIPORT_CANCEL_SEND(*MINIPORT_CANCEL_SEND_HANDLER);
typedef BOOLEAN(MINIPORT_CHECK_FOR_HANG)(NDIS_HANDLE MiniportAdapterContext);
typedef MINIPORT_CHECK_FOR_HANG(*MINIPORT_CHECK_FOR_HANG_HANDLER);
typedef NDIS_STATUS(MINIPORT_RESET)(NDIS_HANDLE MiniportAdapterContext, PBOOLEAN AddressingReset);
typedef MINIPORT_RESET(*MINIPORT_RESET_HANDLER);
typedef VOID(MINIPORT_CANCEL_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext, PVOID RequestId);
typedef MINIPORT_CANCEL_OID_REQUEST(*MINIPORT_CANCEL_OID_REQUEST_HANDLER);
typedef VOID(MINIPORT_SEND_NET_BUFFER_LISTS)(NDIS_HANDLE MiniportAdapterContext,
                                             PNET_BUFFER_LIST NetBufferList,
                                             NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
typedef MINIPORT_SEND_NET_BUFFER_LISTS(*MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER);
typedef VOID(MINIPORT_RETURN_NET_BUFFER_LISTS)(NDIS_HANDLE MiniportAdapterContext,
                                               PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags);
typedef MINIPORT_RETURN_NET_BUFFER_LISTS(*MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER);
typedef NDIS_STATUS(MINIPORT_DIRECT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                 PNDIS_OID_REQUEST OidRequest);
typedef MINIPORT_DIRECT_OID_REQUEST(*MINIPORT_DIRECT_OID_REQUEST_HANDLER);
typedef VOID(MINIPORT_CANCEL_DIRECT_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                 PVOID RequestId);
typedef MINIPORT_CANCEL_DIRECT_OID_REQUEST(*MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER);
typedef NDIS_STATUS(MINIPORT_SYNCHRONOUS_OID_REQUEST)(NDIS_HANDLE MiniportAdapterContext,
                                                      NDIS_OID_REQUEST *OidRequest);
typedef MINIPORT_SYNCHRONOUS_OID_REQUEST(*MINIPORT_SYNCHRONOUS_OID_REQUEST_HANDLER);

/* === NDIS_MINIPORT_DRIVER_CHARACTERISTICS === */

/* Flags */
#define NDIS_INTERMEDIATE_DRIVER 0x00000001
#define NDIS_WDM_DRIVER 0x00000002
#define NDIS_DRIVER_FLAGS_RESERVED 0x00000008

#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 1 /* NDIS 6.0 */
#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 2 /* NDIS 6.1: direct OIDs */
#define NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 3 /* NDIS 6.80: synchronous OIDs */

typedef struct _NDIS_MINIPORT_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header; /* Type NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS */
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    SET_OPTIONS_HANDLER SetOptionsHandler;
    MINIPORT_INITIALIZE_HANDLER InitializeHandlerEx;
    MINIPORT_HALT_HANDLER HaltHandlerEx;
    MINIPORT_DRIVER_UNLOAD UnloadHandler;
    MINIPORT_PAUSE_HANDLER PauseHandler;
    MINIPORT_RESTART_HANDLER RestartHandler;
    MINIPORT_OID_REQUEST_HANDLER OidRequestHandler;
    MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
    MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
    MINIPORT_CANCEL_SEND_HANDLER CancelSendHandler;
    MINIPORT_CHECK_FOR_HANG_HANDLER CheckForHangHandlerEx;
    MINIPORT_RESET_HANDLER ResetHandlerEx;
    MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER DevicePnPEventNotifyHandler;
    MINIPORT_SHUTDOWN_HANDLER ShutdownHandlerEx;
    MINIPORT_CANCEL_OID_REQUEST_HANDLER CancelOidRequestHandler;
    MINIPORT_DIRECT_OID_REQUEST_HANDLER DirectOidRequestHandler;
    MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER CancelDirectOidRequestHandler;
    MINIPORT_SYNCHRONOUS_OID_REQUEST_HANDLER SynchronousOidRequestHandler;
} NDIS_MINIPORT_DRIVER_CHARACTERISTICS, *PNDIS_MINIPORT_DRIVER_CHARACTERISTICS;

#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1                                     \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelOidRequestHandler)
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2                                     \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelDirectOidRequestHandler)
#define NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3                                     \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, SynchronousOidRequestHandler)

/* === Registration (PASSIVE_LEVEL, from DriverEntry / MiniportDriverUnload) === */

/* Validates and copies the characteristics, calls SetOptionsHandler (if any)
   before returning, and points DriverObject->DriverUnload at NDIS's unload
   routine, which calls UnloadHandler.  NDIS_STATUS_BAD_CHARACTERISTICS /
   _BAD_VERSION for a structure NDIS rejects, SetOptionsHandler's failure, or
   NDIS_STATUS_SUCCESS with *NdisMiniportDriverHandle set. */
NDIS_STATUS NdisMRegisterMiniportDriver(
    PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, NDIS_HANDLE MiniportDriverContext,
    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
    PNDIS_HANDLE NdisMiniportDriverHandle);
VOID NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle);

/* Layout pinned to the WDK's x64 values. */
SHMF_STATIC_ASSERT(offsetof(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, Flags) == 0x8,
                   "miniport chars Flags");
SHMF_STATIC_ASSERT(offsetof(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, SetOptionsHandler) == 0x10,
                   "miniport chars SetOptionsHandler");
SHMF_STATIC_ASSERT(offsetof(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, UnloadHandler) == 0x28,
                   "miniport chars UnloadHandler");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1 == 0x88,
                   "miniport chars revision 1 size");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2 == 0x98,
                   "miniport chars revision 2 size");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3 == 0xA0,
                   "miniport chars revision 3 size");
SHMF_STATIC_ASSERT(sizeof(NDIS_MINIPORT_DRIVER_CHARACTERISTICS) == 0xA0, "miniport chars size");
SHMF_STATIC_ASSERT(offsetof(NDIS_MINIPORT_INIT_PARAMETERS, NetLuid) == 0x28,
                   "NDIS_MINIPORT_INIT_PARAMETERS.NetLuid");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1 == 0x40,
                   "NDIS_MINIPORT_INIT_PARAMETERS revision 1 size");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1 == 0x14,
                   "NDIS_MINIPORT_RESTART_PARAMETERS revision 1 size");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1 == 0xC,
                   "NDIS_MINIPORT_PAUSE_PARAMETERS revision 1 size");

SHMF_EXTERN_C_END
#endif /* SHMF_NDIS_MINIPORT_H */
