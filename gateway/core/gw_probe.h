/* gw_probe.h — is a quiet ts:live feed quiet because the generator is, or
 * because our subscriber went deaf?
 *
 * A subscriber that stops receiving without an error (a proxy or firewall
 * that dropped the path, a Redis that stopped writing to it) looks exactly
 * like a paused generator. After max(3 intervals, 3 s) of silence the probe
 * asks the streams for their newest entry; when they are ahead of the ring
 * twice in a row with no message between, the subscriber is dropped and
 * redone (and the hole repaired as any other). The subscriber cannot PING:
 * hiredis 0.14 would take the replies for messages. */
#ifndef GW_PROBE_H
#define GW_PROBE_H

#include <stdint.h>

#include "gw_rconn.h"

typedef struct gw_probe gw_probe;

/* cmd asks, sub is dropped; both outlive the probe. */
gw_probe *gw_probe_new(gw_rconn *cmd, gw_rconn *sub);
void gw_probe_free(gw_probe *p);
/* A ts:live message (or the SUBSCRIBE confirmation) arrived: silence counts from now. */
void gw_probe_heard(gw_probe *p);
/* Looks again if the feed has been silent long enough. stream_key is the
 * stream to ask (any instrument's: they all end at the same tick), ring_last
 * the newest row the feed has; dt the interval. */
void gw_probe_tick(gw_probe *p, const char *stream_key, int64_t ring_last, int64_t dt);

#endif
