/* fuzz_request.c — gw_parse_request (gateway/proto/gw_proto.c), a client's
 * WebSocket message. The first byte picks the frame type (odd: a text frame,
 * parsed as JSON; even: a binary frame, msgpack); the rest is the payload.
 * Checks gw_proto.h's promises: a known error code with a message, and on
 * success an op, a NUL-terminated sym, a since in [0, 2^53], a candle
 * width (> 0) only on sub and unsub, for a board a selection as
 * gw_proto.h describes it, and for a range a from in [0, 2^53] or -1 (none:
 * the whole stored history), a to likewise (-1: now), points and id whole
 * numbers (id -1: none). */
#include "fuzz.h"
#include "gw_proto.h"

/* A board's selection: a NUL-terminated prefix, or (never both) a list of
 * nlist >= 1 names, each non-empty, shorter than GW_SYM_MAX, inside list. */
static void check_board(const gw_request *req)
{
    FUZZ_CHECK(memchr(req->prefix, '\0', sizeof(req->prefix)) != NULL);
    if (!req->have_list)
        return;
    FUZZ_CHECK(req->prefix[0] == '\0' && req->nlist >= 1);
    size_t off = 0;
    for (uint32_t i = 0; i < req->nlist; i++) {
        FUZZ_CHECK(off < sizeof(req->list));
        const char *end = memchr(req->list + off, '\0', sizeof(req->list) - off);
        FUZZ_CHECK(end != NULL);
        size_t n = (size_t)(end - (req->list + off));
        FUZZ_CHECK(n >= 1 && n < GW_SYM_MAX);
        off += n + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int is_text = data[0] & 1;
    /* A copy of exactly the payload, so ASan sees any read past its end. */
    size_t len = size - 1;
    char *payload = fuzz_copy(data + 1, len, 0);
    if (payload == NULL)
        return 0;
    gw_request req;
    char msg[128];
    memset(msg, 'x', sizeof(msg));
    gw_err e = gw_parse_request(payload, len, is_text, &req, msg, sizeof(msg));
    FUZZ_CHECK(e >= GW_OK && e < GW_E_COUNT);
    FUZZ_CHECK(gw_err_name(e) != NULL);
    fuzz_check_msg(msg, sizeof(msg));
    FUZZ_CHECK(memchr(req.sym, '\0', sizeof(req.sym)) != NULL);
    if (e == GW_OK) {
        FUZZ_CHECK(req.op == GW_OP_SUB || req.op == GW_OP_UNSUB || req.op == GW_OP_BOARD || req.op == GW_OP_UNBOARD ||
                   req.op == GW_OP_RANGE);
        FUZZ_CHECK(msg[0] == '\0');
        if (req.op == GW_OP_SUB || req.op == GW_OP_BOARD)
            FUZZ_CHECK(req.since >= 0 && req.since <= GW_SINCE_MAX);
        if (req.op == GW_OP_BOARD)
            check_board(&req);
        if (req.op == GW_OP_RANGE) {
            FUZZ_CHECK(req.from >= -1 && req.from <= GW_SINCE_MAX && req.to >= -1 && req.to <= GW_SINCE_MAX);
            FUZZ_CHECK(req.points >= 0 && req.points <= GW_SINCE_MAX && req.id >= -1 && req.id <= GW_SINCE_MAX);
        }
        FUZZ_CHECK(req.width >= 0);
        if (req.width > 0)
            FUZZ_CHECK(req.op == GW_OP_SUB || req.op == GW_OP_UNSUB);
    } else if (e == GW_E_BAD_WIDTH) {
        FUZZ_CHECK(req.width == 0);
        FUZZ_CHECK(msg[0] != '\0');
    } else {
        FUZZ_CHECK(msg[0] != '\0');
    }
    free(payload);
    return 0;
}
