/* wdm.h -- forwards to <ndis.h>, which holds the wdm.h subset shmfuzz provides. */
#include <ndis.h>
