/*
 * driver_filter.cpp -- a shared-memory provider written in C++ that comes in
 * as an NDIS 6 lightweight filter driver: DriverEntry sets the driver
 * object's DriverUnload, fills the whole NDIS_FILTER_DRIVER_CHARACTERISTICS
 * with handlers declared by their role types and calls
 * NdisFRegisterFilterDriver; FilterSetOptions registers the provider with
 * NdisSetOptionalHandlers; FilterUnload releases everything and calls
 * NdisFDeregisterFilterDriver.  It exports no shmfuzz symbol.
 *
 * Kernel C++ as drivers write it: no exceptions, no RTTI, no C++ runtime;
 * objects are constructed in pool memory with placement new.  Every block is
 * physically contiguous (MmAllocateContiguousNodeMemory), so its SG list is
 * one element.  Under shmfuzz it must produce zero findings.
 */
#include <ndis.h>

#include <new> // placement new only

namespace {

constexpr ULONG kTagDriver = 'dFhS';
constexpr ULONG kTagBlock = 'bFhS';
constexpr ULONG kMaxBlock = 4u * 1024 * 1024;
constexpr ULONG kMaxLive = 32u * 1024 * 1024;

PHYSICAL_ADDRESS Phys(ULONGLONG value)
{
    PHYSICAL_ADDRESS a;
    a.QuadPart = static_cast<LONGLONG>(value);
    return a;
}

// A spin-lock guard: acquire in the constructor, release in the destructor.
class LockGuard {
  public:
    explicit LockGuard(NDIS_SPIN_LOCK &lock) : lock_(lock) { NdisAcquireSpinLock(&lock_); }
    ~LockGuard() { NdisReleaseSpinLock(&lock_); }
    LockGuard(const LockGuard &) = delete;
    LockGuard &operator=(const LockGuard &) = delete;

  private:
    NDIS_SPIN_LOCK &lock_;
};

struct Block {
    LIST_ENTRY entry; // on Provider::blocks_, under lock_
    PUCHAR va = nullptr;
    ULONG length = 0;
};

class Provider {
  public:
    explicit Provider(NDIS_HANDLE ndis) : ndis_(ndis)
    {
        NdisAllocateSpinLock(&lock_);
        InitializeListHead(&blocks_);
    }
    ~Provider()
    {
        // NDIS frees every block first; whatever is left is released here.
        for (PLIST_ENTRY e = RemoveHeadList(&blocks_); e != &blocks_; e = RemoveHeadList(&blocks_))
            Release(CONTAINING_RECORD(e, Block, entry));
        NdisFreeSpinLock(&lock_);
    }

    NDIS_HANDLE ndis() const { return ndis_; }

    NDIS_STATUS Allocate(PNDIS_SHARED_MEMORY_PARAMETERS p, PNDIS_HANDLE context)
    {
        NDIS_STATUS status = Check(p);
        if (status != NDIS_STATUS_SUCCESS)
            return status;
        if (!Charge(p->Length))
            return NDIS_STATUS_RESOURCES;
        Block *b = Take(p->Length, p->PreferredNode);
        if (b == nullptr) {
            Uncharge(p->Length);
            return NDIS_STATUS_RESOURCES;
        }
        PSCATTER_GATHER_LIST sg = p->SGListBuffer;
        sg->NumberOfElements = 1;
        sg->Reserved = 0;
        sg->Elements[0].Address = MmGetPhysicalAddress(b->va);
        sg->Elements[0].Length = b->length;
        sg->Elements[0].Reserved = 0;
        {
            LockGuard guard(lock_);
            InsertTailList(&blocks_, &b->entry);
        }
        p->VirtualAddress = b->va;
        p->SharedMemoryHandle = b;
        *context = b;
        return NDIS_STATUS_SUCCESS;
    }

    void Free(NDIS_HANDLE context)
    {
        Block *b = static_cast<Block *>(context);
        {
            LockGuard guard(lock_);
            RemoveEntryList(&b->entry);
        }
        Uncharge(b->length);
        Release(b);
    }

  private:
    static NDIS_STATUS Check(PNDIS_SHARED_MEMORY_PARAMETERS p)
    {
        if ((p->Flags & ~static_cast<ULONG>(NDIS_SHARED_MEM_PARAMETERS_CONTIGUOUS)) != 0 ||
            static_cast<ULONG>(p->Usage) >= static_cast<ULONG>(NdisSharedMemoryUsageMax) ||
            p->Length == 0 || p->Length > kMaxBlock)
            return NDIS_STATUS_INVALID_PARAMETER;
        if (p->PreferredNode != MM_ANY_NODE_OK && p->PreferredNode > KeQueryHighestNodeNumber())
            return NDIS_STATUS_INVALID_PARAMETER;
        if (p->Header.Revision >= NDIS_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
            p->Header.Size >= NDIS_SIZEOF_SHARED_MEMORY_PARAMETERS_REVISION_2 &&
            p->VPortId != NDIS_DEFAULT_VPORT_ID)
            return NDIS_STATUS_INVALID_PARAMETER;
        // One element, contiguous or not.
        if (p->SGListBuffer == nullptr ||
            p->SGListBufferLength < sizeof(SCATTER_GATHER_LIST) + sizeof(SCATTER_GATHER_ELEMENT))
            return NDIS_STATUS_INVALID_PARAMETER;
        return NDIS_STATUS_SUCCESS;
    }

    bool Charge(ULONG length)
    {
        LockGuard guard(lock_);
        if (live_ > kMaxLive - length)
            return false;
        live_ += length;
        return true;
    }

    void Uncharge(ULONG length)
    {
        LockGuard guard(lock_);
        live_ -= length;
    }

    Block *Take(ULONG length, NODE_REQUIREMENT node)
    {
        void *mem =
            NdisAllocateMemoryWithTagPriority(ndis_, sizeof(Block), kTagBlock, NormalPoolPriority);
        if (mem == nullptr)
            return nullptr;
        Block *b = new (mem) Block();
        b->length = length;
        b->va = static_cast<PUCHAR>(MmAllocateContiguousNodeMemory(
            ROUND_TO_PAGES(length), Phys(0), Phys(MAXULONG64), Phys(0), PAGE_READWRITE, node));
        if (b->va == nullptr) {
            Release(b);
            return nullptr;
        }
        NT_ASSERT(ALIGN_DOWN_POINTER_BY(b->va, PAGE_SIZE) == b->va);
        return b;
    }

    void Release(Block *b)
    {
        if (b->va != nullptr)
            MmFreeContiguousMemory(b->va);
        b->~Block();
        NdisFreeMemoryWithTagPriority(ndis_, b, kTagBlock);
    }

    NDIS_HANDLE ndis_;
    NDIS_SPIN_LOCK lock_;
    LIST_ENTRY blocks_;
    ULONG live_ = 0; // bytes of live blocks, under lock_
};

PDRIVER_OBJECT g_driverObject;
NDIS_HANDLE g_filterDriverHandle;
Provider *g_provider;

} // namespace

// === Handlers, declared with their role types ===

extern "C" {
DRIVER_INITIALIZE DriverEntry;
}
static DRIVER_UNLOAD FilterUnload;
static FILTER_SET_OPTIONS FilterSetOptions;
static FILTER_SET_MODULE_OPTIONS FilterSetModuleOptions;
static FILTER_ATTACH FilterAttach;
static FILTER_DETACH FilterDetach;
static FILTER_RESTART FilterRestart;
static FILTER_PAUSE FilterPause;
static FILTER_SEND_NET_BUFFER_LISTS FilterSendNetBufferLists;
static FILTER_SEND_NET_BUFFER_LISTS_COMPLETE FilterSendNetBufferListsComplete;
static FILTER_CANCEL_SEND_NET_BUFFER_LISTS FilterCancelSendNetBufferLists;
static FILTER_RECEIVE_NET_BUFFER_LISTS FilterReceiveNetBufferLists;
static FILTER_RETURN_NET_BUFFER_LISTS FilterReturnNetBufferLists;
static FILTER_OID_REQUEST FilterOidRequest;
static FILTER_OID_REQUEST_COMPLETE FilterOidRequestComplete;
static FILTER_CANCEL_OID_REQUEST FilterCancelOidRequest;
static FILTER_DEVICE_PNP_EVENT_NOTIFY FilterDevicePnPEventNotify;
static FILTER_NET_PNP_EVENT FilterNetPnPEvent;
static FILTER_STATUS FilterStatus;
static FILTER_DIRECT_OID_REQUEST FilterDirectOidRequest;
static FILTER_DIRECT_OID_REQUEST_COMPLETE FilterDirectOidRequestComplete;
static FILTER_CANCEL_DIRECT_OID_REQUEST FilterCancelDirectOidRequest;

static NDIS_STATUS AllocateSharedMemory(NDIS_HANDLE providerContext,
                                        PNDIS_SHARED_MEMORY_PARAMETERS parameters,
                                        PNDIS_HANDLE context)
{
    return static_cast<Provider *>(providerContext)->Allocate(parameters, context);
}

static VOID FreeSharedMemory(NDIS_HANDLE providerContext, NDIS_HANDLE context)
{
    static_cast<Provider *>(providerContext)->Free(context);
}

_Use_decl_annotations_ static NDIS_STATUS FilterSetOptions(NDIS_HANDLE ndisDriverHandle,
                                                           NDIS_HANDLE driverContext)
{
    UNREFERENCED_PARAMETER(driverContext);
    PAGED_CODE();
    void *mem = NdisAllocateMemoryWithTagPriority(ndisDriverHandle, sizeof(Provider), kTagDriver,
                                                  NormalPoolPriority);
    if (mem == nullptr)
        return NDIS_STATUS_RESOURCES;
    Provider *provider = new (mem) Provider(ndisDriverHandle);

    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars = {};
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.ProviderContext = provider;
    chars.AllocateSharedMemoryHandler = AllocateSharedMemory;
    chars.FreeSharedMemoryHandler = FreeSharedMemory;
    g_provider = provider;
    NDIS_STATUS status = NdisSetOptionalHandlers(
        ndisDriverHandle, reinterpret_cast<PNDIS_DRIVER_OPTIONAL_HANDLERS>(&chars));
    if (status != NDIS_STATUS_SUCCESS) {
        g_provider = nullptr;
        provider->~Provider();
        NdisFreeMemoryWithTagPriority(ndisDriverHandle, provider, kTagDriver);
    }
    return status;
}

_Use_decl_annotations_ static VOID FilterUnload(PDRIVER_OBJECT driverObject)
{
    UNREFERENCED_PARAMETER(driverObject);
    PAGED_CODE();
    if (Provider *provider = g_provider) {
        NDIS_HANDLE ndis = provider->ndis();
        provider->~Provider();
        NdisFreeMemoryWithTagPriority(ndis, provider, kTagDriver);
        g_provider = nullptr;
    }
    NdisFDeregisterFilterDriver(g_filterDriverHandle);
}

// The filter module handlers: shmfuzz attaches no filter module.
_Use_decl_annotations_ static NDIS_STATUS FilterSetModuleOptions(NDIS_HANDLE)
{
    return NDIS_STATUS_SUCCESS;
}
_Use_decl_annotations_ static NDIS_STATUS FilterAttach(NDIS_HANDLE, NDIS_HANDLE,
                                                       PNDIS_FILTER_ATTACH_PARAMETERS)
{
    return NDIS_STATUS_NOT_SUPPORTED;
}
_Use_decl_annotations_ static VOID FilterDetach(NDIS_HANDLE) {}
_Use_decl_annotations_ static NDIS_STATUS FilterRestart(NDIS_HANDLE,
                                                        PNDIS_FILTER_RESTART_PARAMETERS)
{
    return NDIS_STATUS_SUCCESS;
}
_Use_decl_annotations_ static NDIS_STATUS FilterPause(NDIS_HANDLE, PNDIS_FILTER_PAUSE_PARAMETERS)
{
    return NDIS_STATUS_SUCCESS;
}
_Use_decl_annotations_ static VOID FilterSendNetBufferLists(NDIS_HANDLE, PNET_BUFFER_LIST,
                                                            NDIS_PORT_NUMBER, ULONG)
{
}
_Use_decl_annotations_ static VOID FilterSendNetBufferListsComplete(NDIS_HANDLE, PNET_BUFFER_LIST,
                                                                    ULONG)
{
}
_Use_decl_annotations_ static VOID FilterCancelSendNetBufferLists(NDIS_HANDLE, PVOID) {}
_Use_decl_annotations_ static VOID FilterReceiveNetBufferLists(NDIS_HANDLE, PNET_BUFFER_LIST,
                                                               NDIS_PORT_NUMBER, ULONG, ULONG)
{
}
_Use_decl_annotations_ static VOID FilterReturnNetBufferLists(NDIS_HANDLE, PNET_BUFFER_LIST, ULONG)
{
}
_Use_decl_annotations_ static NDIS_STATUS FilterOidRequest(NDIS_HANDLE, PNDIS_OID_REQUEST)
{
    return NDIS_STATUS_NOT_SUPPORTED;
}
_Use_decl_annotations_ static VOID FilterOidRequestComplete(NDIS_HANDLE, PNDIS_OID_REQUEST,
                                                            NDIS_STATUS)
{
}
_Use_decl_annotations_ static VOID FilterCancelOidRequest(NDIS_HANDLE, PVOID) {}
_Use_decl_annotations_ static VOID FilterDevicePnPEventNotify(NDIS_HANDLE, PNET_DEVICE_PNP_EVENT) {}
_Use_decl_annotations_ static NDIS_STATUS FilterNetPnPEvent(NDIS_HANDLE,
                                                            PNET_PNP_EVENT_NOTIFICATION)
{
    return NDIS_STATUS_SUCCESS;
}
_Use_decl_annotations_ static VOID FilterStatus(NDIS_HANDLE, PNDIS_STATUS_INDICATION) {}
_Use_decl_annotations_ static NDIS_STATUS FilterDirectOidRequest(NDIS_HANDLE, PNDIS_OID_REQUEST)
{
    return NDIS_STATUS_NOT_SUPPORTED;
}
_Use_decl_annotations_ static VOID FilterDirectOidRequestComplete(NDIS_HANDLE, PNDIS_OID_REQUEST,
                                                                  NDIS_STATUS)
{
}
_Use_decl_annotations_ static VOID FilterCancelDirectOidRequest(NDIS_HANDLE, PVOID) {}

_Use_decl_annotations_ NTSTATUS DriverEntry(PDRIVER_OBJECT driverObject,
                                            PUNICODE_STRING registryPath)
{
    UNREFERENCED_PARAMETER(registryPath);
    NDIS_STRING serviceName = RTL_CONSTANT_STRING(L"ShmfFilter");
    NDIS_STRING friendlyName = RTL_CONSTANT_STRING(L"shmfuzz C++ shared-memory filter");
    NDIS_STRING uniqueName = RTL_CONSTANT_STRING(L"{5a3b6ec1-7d1e-4c48-9d0a-2f1f6e1c5b90}");

    g_driverObject = driverObject;
    driverObject->DriverUnload = FilterUnload;

    NDIS_FILTER_DRIVER_CHARACTERISTICS chars = {};
    chars.Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_2;
    chars.Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2;
    chars.MajorNdisVersion = NDIS_FILTER_MAJOR_VERSION;
    chars.MinorNdisVersion = NDIS_FILTER_MINOR_VERSION;
    chars.MajorDriverVersion = 1;
    chars.MinorDriverVersion = 0;
    chars.Flags = 0;
    chars.FriendlyName = friendlyName;
    chars.UniqueName = uniqueName;
    chars.ServiceName = serviceName;
    chars.SetOptionsHandler = FilterSetOptions;
    chars.SetFilterModuleOptionsHandler = FilterSetModuleOptions;
    chars.AttachHandler = FilterAttach;
    chars.DetachHandler = FilterDetach;
    chars.RestartHandler = FilterRestart;
    chars.PauseHandler = FilterPause;
    chars.SendNetBufferListsHandler = FilterSendNetBufferLists;
    chars.SendNetBufferListsCompleteHandler = FilterSendNetBufferListsComplete;
    chars.CancelSendNetBufferListsHandler = FilterCancelSendNetBufferLists;
    chars.ReceiveNetBufferListsHandler = FilterReceiveNetBufferLists;
    chars.ReturnNetBufferListsHandler = FilterReturnNetBufferLists;
    chars.OidRequestHandler = FilterOidRequest;
    chars.OidRequestCompleteHandler = FilterOidRequestComplete;
    chars.CancelOidRequestHandler = FilterCancelOidRequest;
    chars.DevicePnPEventNotifyHandler = FilterDevicePnPEventNotify;
    chars.NetPnPEventHandler = FilterNetPnPEvent;
    chars.StatusHandler = FilterStatus;
    chars.DirectOidRequestHandler = FilterDirectOidRequest;
    chars.DirectOidRequestCompleteHandler = FilterDirectOidRequestComplete;
    chars.CancelDirectOidRequestHandler = FilterCancelDirectOidRequest;

    NDIS_STATUS status =
        NdisFRegisterFilterDriver(driverObject, nullptr, &chars, &g_filterDriverHandle);
    if (status != NDIS_STATUS_SUCCESS)
        driverObject->DriverUnload = nullptr;
    return status == NDIS_STATUS_SUCCESS ? STATUS_SUCCESS : static_cast<NTSTATUS>(status);
}
