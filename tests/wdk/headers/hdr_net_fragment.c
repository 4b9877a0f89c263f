/*
 * hdr_net_fragment.c -- every name of <net/fragment.h>.
 * Compiled as C11 and C++17; never run.
 */
#include <net/fragment.h>

int hdr_net_fragment_use(NET_RING const *FragmentRing, UINT32 Index);
int hdr_net_fragment_use(NET_RING const *FragmentRing, UINT32 Index)
{
    NET_FRAGMENT *fragment = NetRingGetFragmentAtIndex(FragmentRing, Index);
    fragment->ValidLength = fragment->Capacity - fragment->Offset;
    fragment->Scratch = 1;
    return (int)fragment->OsReserved_Bounced;
}
