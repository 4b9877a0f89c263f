/*
 * ndis/filter.h -- an NDIS 6 lightweight filter driver's registration (the
 * WDK's ndis.h): the FILTER_* role types with their handler pointer types,
 * NDIS_FILTER_DRIVER_CHARACTERISTICS and NdisFRegisterFilterDriver /
 * NdisFDeregisterFilterDriver.  Part of <ndis.h>; include that, not this file.
 *
 * As for miniports (ndis/miniport.h), shmfuzz calls SetOptionsHandler from
 * inside NdisFRegisterFilterDriver and, at unload, the driver object's
 * DriverUnload routine, which a filter driver sets itself (DRIVER_UNLOAD) and
 * which calls NdisFDeregisterFilterDriver.  The other handlers are checked for
 * presence, never called; NDIS_FILTER_ATTACH_PARAMETERS and
 * NDIS_FILTER_RESTART_PARAMETERS are declared, not defined.
 */
/* Included alone, this file first includes <ndis.h>, which includes it in its
   place among the other parts. */
#ifndef SHMF_NDIS_FILTER_H
#include <ndis.h>
#endif
#ifndef SHMF_NDIS_FILTER_H
#define SHMF_NDIS_FILTER_H

#ifndef NDIS_FILTER_MAJOR_VERSION
#define NDIS_FILTER_MAJOR_VERSION 6
#if defined(NDIS680)
#define NDIS_FILTER_MINOR_VERSION 80
#elif defined(NDIS660)
#define NDIS_FILTER_MINOR_VERSION 60
#elif defined(NDIS650)
#define NDIS_FILTER_MINOR_VERSION 50
#elif defined(NDIS640)
#define NDIS_FILTER_MINOR_VERSION 40
#elif defined(NDIS620)
#define NDIS_FILTER_MINOR_VERSION 20
#else
#define NDIS_FILTER_MINOR_VERSION 30
#endif
#endif

SHMF_EXTERN_C_START

#define NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS 0x8B

/* === Parameters of the handlers === */

typedef struct _NDIS_FILTER_ATTACH_PARAMETERS NDIS_FILTER_ATTACH_PARAMETERS,
    *PNDIS_FILTER_ATTACH_PARAMETERS;
typedef struct _NDIS_FILTER_RESTART_PARAMETERS NDIS_FILTER_RESTART_PARAMETERS,
    *PNDIS_FILTER_RESTART_PARAMETERS;

#define NDIS_FILTER_PAUSE_PARAMETERS_REVISION_1 1
typedef struct _NDIS_FILTER_PAUSE_PARAMETERS {
    NDIS_OBJECT_HEADER Header;
    ULONG Flags;
    ULONG PauseReason;
} NDIS_FILTER_PAUSE_PARAMETERS, *PNDIS_FILTER_PAUSE_PARAMETERS;
#define NDIS_SIZEOF_FILTER_PAUSE_PARAMETERS_REVISION_1                                             \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_PAUSE_PARAMETERS, PauseReason)

/* === Role types (declare a handler as `FILTER_ATTACH FilterAttach;`) === */

typedef NDIS_STATUS(FILTER_ATTACH)(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext,
                                   PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters);
typedef FILTER_ATTACH(*FILTER_ATTACH_HANDLER);
typedef VOID(FILTER_DETACH)(NDIS_HANDLE FilterModuleContext);
typedef FILTER_DETACH(*FILTER_DETACH_HANDLER);
typedef NDIS_STATUS(FILTER_SET_MODULE_OPTIONS)(NDIS_HANDLE FilterModuleContext);
typedef FILTER_SET_MODULE_OPTIONS(*FILTER_SET_FILTER_MODULE_OPTIONS_HANDLER);
typedef NDIS_STATUS(FILTER_RESTART)(NDIS_HANDLE FilterModuleContext,
                                    PNDIS_FILTER_RESTART_PARAMETERS RestartParameters);
typedef FILTER_RESTART(*FILTER_RESTART_HANDLER);
typedef NDIS_STATUS(FILTER_PAUSE)(NDIS_HANDLE FilterModuleContext,
                                  PNDIS_FILTER_PAUSE_PARAMETERS PauseParameters);
typedef FILTER_PAUSE(*FILTER_PAUSE_HANDLER);
typedef NDIS_STATUS(FILTER_OID_REQUEST)(NDIS_HANDLE FilterModuleContext,
                                        PNDIS_OID_REQUEST OidRequest);
typedef FILTER_OID_REQUEST(*FILTER_OID_REQUEST_HANDLER);
typedef VOID(FILTER_CANCEL_OID_REQUEST)(NDIS_HANDLE FilterModuleContext, PVOID RequestId);
typedef FILTER_CANCEL_OID_REQUEST(*FILTER_CANCEL_OID_REQUEST_HANDLER);
typedef VOID(FILTER_SEND_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext,
                                           PNET_BUFFER_LIST NetBufferList,
                                           NDIS_PORT_NUMBER PortNumber, ULONG SendFlags);
typedef FILTER_SEND_NET_BUFFER_LISTS(*FILTER_SEND_NET_BUFFER_LISTS_HANDLER);
typedef VOID(FILTER_CANCEL_SEND_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext, PVOID CancelId);
typedef FILTER_CANCEL_SEND_NET_BUFFER_LISTS(*FILTER_CANCEL_SEND_HANDLER);
typedef VOID(FILTER_RETURN_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext,
                                             PNET_BUFFER_LIST NetBufferLists, ULONG ReturnFlags);
typedef FILTER_RETURN_NET_BUFFER_LISTS(*FILTER_RETURN_NET_BUFFER_LISTS_HANDLER);
typedef VOID(FILTER_SEND_NET_BUFFER_LISTS_COMPLETE)(NDIS_HANDLE FilterModuleContext,
                                                    PNET_BUFFER_LIST NetBufferList,
                                                    ULONG SendCompleteFlags);
typedef FILTER_SEND_NET_BUFFER_LISTS_COMPLETE(*FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER);
typedef VOID(FILTER_RECEIVE_NET_BUFFER_LISTS)(NDIS_HANDLE FilterModuleContext,
                                              PNET_BUFFER_LIST NetBufferLists,
                                              NDIS_PORT_NUMBER PortNumber,
                                              ULONG NumberOfNetBufferLists, ULONG ReceiveFlags);
typedef FILTER_RECEIVE_NET_BUFFER_LISTS(*FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER);
typedef VOID(FILTER_DEVICE_PNP_EVENT_NOTIFY)(NDIS_HANDLE FilterModuleContext,
                                             PNET_DEVICE_PNP_EVENT NetDevicePnPEvent);
typedef FILTER_DEVICE_PNP_EVENT_NOTIFY(*FILTER_DEVICE_PNP_EVENT_NOTIFY_HANDLER);
typedef NDIS_STATUS(FILTER_NET_PNP_EVENT)(NDIS_HANDLE FilterModuleContext,
                                          PNET_PNP_EVENT_NOTIFICATION NetPnPEventNotification);
typedef FILTER_NET_PNP_EVENT(*FILTER_NET_PNP_EVENT_HANDLER);
typedef VOID(FILTER_STATUS)(NDIS_HANDLE FilterModuleContext,
                            PNDIS_STATUS_INDICATION StatusIndication);
typedef FILTER_STATUS(*FILTER_STATUS_HANDLER);
typedef VOID(FILTER_OID_REQUEST_COMPLETE)(NDIS_HANDLE FilterModuleContext,
                                          PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef FILTER_OID_REQUEST_COMPLETE(*FILTER_OID_REQUEST_COMPLETE_HANDLER);
typedef NDIS_STATUS(FILTER_DIRECT_OID_REQUEST)(NDIS_HANDLE FilterModuleContext,
                                               PNDIS_OID_REQUEST OidRequest);
typedef FILTER_DIRECT_OID_REQUEST(*FILTER_DIRECT_OID_REQUEST_HANDLER);
typedef VOID(FILTER_DIRECT_OID_REQUEST_COMPLETE)(NDIS_HANDLE FilterModuleContext,
                                                 PNDIS_OID_REQUEST OidRequest, NDIS_STATUS Status);
typedef FILTER_DIRECT_OID_REQUEST_COMPLETE(*FILTER_DIRECT_OID_REQUEST_COMPLETE_HANDLER);
typedef VOID(FILTER_CANCEL_DIRECT_OID_REQUEST)(NDIS_HANDLE FilterModuleContext, PVOID RequestId);
typedef FILTER_CANCEL_DIRECT_OID_REQUEST(*FILTER_CANCEL_DIRECT_OID_REQUEST_HANDLER);
typedef NDIS_STATUS(FILTER_SYNCHRONOUS_OID_REQUEST)(NDIS_HANDLE FilterModuleContext,
                                                    NDIS_OID_REQUEST *OidRequest,
                                                    PVOID *CallContext);
typedef FILTER_SYNCHRONOUS_OID_REQUEST(*FILTER_SYNCHRONOUS_OID_REQUEST_HANDLER);
typedef VOID(FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE)(NDIS_HANDLE FilterModuleContext,
                                                      NDIS_OID_REQUEST *OidRequest,
                                                      NDIS_STATUS *Status, PVOID CallContext);
typedef FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE(*FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE_HANDLER);

/* === NDIS_FILTER_DRIVER_CHARACTERISTICS === */

/* Flags */
#define NDIS_FILTER_DRIVER_MANDATORY 0x00000001
#define NDIS_FILTER_DRIVER_SUPPORTS_CURRENT_MAC_ADDRESS_CHANGE 0x00000002
#define NDIS_FILTER_DRIVER_SUPPORTS_L2_MTU_SIZE_CHANGE 0x00000004

#define NDIS_FILTER_CHARACTERISTICS_REVISION_1 1 /* NDIS 6.0 */
#define NDIS_FILTER_CHARACTERISTICS_REVISION_2 2 /* NDIS 6.1: direct OIDs */
#define NDIS_FILTER_CHARACTERISTICS_REVISION_3 3 /* NDIS 6.80: synchronous OIDs */

typedef struct _NDIS_FILTER_DRIVER_CHARACTERISTICS {
    NDIS_OBJECT_HEADER Header; /* Type NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS */
    UCHAR MajorNdisVersion;
    UCHAR MinorNdisVersion;
    UCHAR MajorDriverVersion;
    UCHAR MinorDriverVersion;
    ULONG Flags;
    NDIS_STRING FriendlyName;
    NDIS_STRING UniqueName;
    NDIS_STRING ServiceName;
    SET_OPTIONS_HANDLER SetOptionsHandler;
    FILTER_SET_FILTER_MODULE_OPTIONS_HANDLER SetFilterModuleOptionsHandler;
    FILTER_ATTACH_HANDLER AttachHandler;
    FILTER_DETACH_HANDLER DetachHandler;
    FILTER_RESTART_HANDLER RestartHandler;
    FILTER_PAUSE_HANDLER PauseHandler;
    FILTER_SEND_NET_BUFFER_LISTS_HANDLER SendNetBufferListsHandler;
    FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER SendNetBufferListsCompleteHandler;
    FILTER_CANCEL_SEND_HANDLER CancelSendNetBufferListsHandler;
    FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER ReceiveNetBufferListsHandler;
    FILTER_RETURN_NET_BUFFER_LISTS_HANDLER ReturnNetBufferListsHandler;
    FILTER_OID_REQUEST_HANDLER OidRequestHandler;
    FILTER_OID_REQUEST_COMPLETE_HANDLER OidRequestCompleteHandler;
    FILTER_CANCEL_OID_REQUEST_HANDLER CancelOidRequestHandler;
    FILTER_DEVICE_PNP_EVENT_NOTIFY_HANDLER DevicePnPEventNotifyHandler;
    FILTER_NET_PNP_EVENT_HANDLER NetPnPEventHandler;
    FILTER_STATUS_HANDLER StatusHandler;
    FILTER_DIRECT_OID_REQUEST_HANDLER DirectOidRequestHandler;
    FILTER_DIRECT_OID_REQUEST_COMPLETE_HANDLER DirectOidRequestCompleteHandler;
    FILTER_CANCEL_DIRECT_OID_REQUEST_HANDLER CancelDirectOidRequestHandler;
    FILTER_SYNCHRONOUS_OID_REQUEST_HANDLER SynchronousOidRequestHandler;
    FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE_HANDLER SynchronousOidRequestCompleteHandler;
} NDIS_FILTER_DRIVER_CHARACTERISTICS, *PNDIS_FILTER_DRIVER_CHARACTERISTICS;

#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1                                       \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_DRIVER_CHARACTERISTICS, StatusHandler)
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2                                       \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_DRIVER_CHARACTERISTICS, CancelDirectOidRequestHandler)
#define NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3                                       \
    RTL_SIZEOF_THROUGH_FIELD(NDIS_FILTER_DRIVER_CHARACTERISTICS,                                   \
                             SynchronousOidRequestCompleteHandler)

/* === Registration (PASSIVE_LEVEL, from DriverEntry / the DriverUnload routine) === */

/* Validates and copies the characteristics and calls SetOptionsHandler (if
   any) before returning.  NDIS_STATUS_BAD_CHARACTERISTICS / _BAD_VERSION for a
   structure NDIS rejects, SetOptionsHandler's failure, or NDIS_STATUS_SUCCESS
   with *NdisFilterDriverHandle set. */
NDIS_STATUS
NdisFRegisterFilterDriver(PDRIVER_OBJECT DriverObject, NDIS_HANDLE FilterDriverContext,
                          PNDIS_FILTER_DRIVER_CHARACTERISTICS FilterDriverCharacteristics,
                          PNDIS_HANDLE NdisFilterDriverHandle);
VOID NdisFDeregisterFilterDriver(NDIS_HANDLE NdisFilterDriverHandle);

/* Layout pinned to the WDK's x64 values. */
SHMF_STATIC_ASSERT(offsetof(NDIS_FILTER_DRIVER_CHARACTERISTICS, FriendlyName) == 0x10,
                   "filter chars FriendlyName");
SHMF_STATIC_ASSERT(offsetof(NDIS_FILTER_DRIVER_CHARACTERISTICS, SetOptionsHandler) == 0x40,
                   "filter chars SetOptionsHandler");
SHMF_STATIC_ASSERT(offsetof(NDIS_FILTER_DRIVER_CHARACTERISTICS, AttachHandler) == 0x50,
                   "filter chars AttachHandler");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1 == 0xC8,
                   "filter chars revision 1 size");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2 == 0xE0,
                   "filter chars revision 2 size");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3 == 0xF0,
                   "filter chars revision 3 size");
SHMF_STATIC_ASSERT(sizeof(NDIS_FILTER_DRIVER_CHARACTERISTICS) == 0xF0, "filter chars size");
SHMF_STATIC_ASSERT(NDIS_SIZEOF_FILTER_PAUSE_PARAMETERS_REVISION_1 == 0xC,
                   "NDIS_FILTER_PAUSE_PARAMETERS revision 1 size");

SHMF_EXTERN_C_END
#endif /* SHMF_NDIS_FILTER_H */
