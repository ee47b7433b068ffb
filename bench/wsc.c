/* wsc.c — see wsc.h. */
#include "wsc.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void wsc_upgrade(struct bufferevent *bev, const char *host, int port, int deflate)
{
    int one = 1; /* small frames both ways: no Nagle delay */
    setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                     host, port, deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "");
    bufferevent_write(bev, req, (size_t)n);
}

int wsc_upgraded(struct evbuffer *in, char line[13])
{
    struct evbuffer_ptr e = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    if (e.pos < 0)
        return 0;
    memset(line, 0, 13);
    evbuffer_copyout(in, line, 12);
    if (strncmp(line, "HTTP/1.1 101", 12) != 0)
        return -1;
    evbuffer_drain(in, (size_t)e.pos + 4);
    return 1;
}

void wsc_send_frame(struct bufferevent *bev, const char *data, size_t len)
{
    uint8_t frame[256];
    uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    size_t h = 0;
    if (len > 120)
        return; /* our requests are small */
    frame[h++] = 0x82;
    frame[h++] = 0x80 | (uint8_t)len;
    memcpy(frame + h, mask, 4);
    h += 4;
    for (size_t i = 0; i < len; i++)
        frame[h + i] = (uint8_t)data[i] ^ mask[i % 4];
    bufferevent_write(bev, frame, h + len);
}

void wsc_send_sub(struct bufferevent *bev, const char *sym, int64_t since)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "op", 2);
    msgpack_pack_str_with_body(&pk, "sub", 3);
    msgpack_pack_str_with_body(&pk, "sym", 3);
    msgpack_pack_str_with_body(&pk, sym, strlen(sym));
    msgpack_pack_str_with_body(&pk, "since", 5);
    msgpack_pack_int64(&pk, since);
    wsc_send_frame(bev, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

int wsc_next_frame(struct evbuffer *in, const char **payload, size_t *len, int *opcode, size_t *used)
{
    size_t avail = evbuffer_get_length(in);
    if (avail < 2)
        return 0;
    uint8_t h[10];
    evbuffer_copyout(in, h, avail < 10 ? avail : 10);
    size_t hl = 2, n = h[1] & 0x7f;
    if (n == 126) {
        if (avail < 4)
            return 0;
        n = (size_t)h[2] << 8 | h[3];
        hl = 4;
    } else if (n == 127) {
        if (avail < 10)
            return 0;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = n << 8 | h[2 + i];
        hl = 10;
    }
    if (avail < hl + n)
        return 0;
    const char *p = (const char *)evbuffer_pullup(in, (ssize_t)(hl + n));
    *payload = p + hl;
    *len = n;
    *opcode = h[0] & (0x0f | WSC_RSV1);
    *used = hl + n;
    return 1;
}

const msgpack_object *wsc_get(const msgpack_object *m, const char *k)
{
    size_t kl = strlen(k);
    if (m->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object_kv *kv = &m->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == kl && !memcmp(kv->key.via.str.ptr, k, kl))
            return &kv->val;
    }
    return NULL;
}

int wsc_inflate(wsc_inflater *f, const char *p, size_t len, const char **out, size_t *outlen)
{
    static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    if (!f->ok && inflateInit2(&f->z, -15) != Z_OK)
        return -1;
    f->ok = 1;
    inflateReset(&f->z);
    size_t n = 0;
    for (int part = 0; part < 2; part++) {
        f->z.next_in = part ? (Bytef *)tail : (Bytef *)p;
        f->z.avail_in = part ? sizeof(tail) : (uInt)len;
        while (f->z.avail_in > 0) {
            if (f->cap - n < 4096) {
                size_t cap = f->cap ? 2 * f->cap : 65536;
                char *b = realloc(f->buf, cap);
                if (b == NULL)
                    return -1;
                f->buf = b;
                f->cap = cap;
            }
            f->z.next_out = (Bytef *)f->buf + n;
            f->z.avail_out = (uInt)(f->cap - n);
            int r = inflate(&f->z, Z_SYNC_FLUSH);
            n = f->cap - f->z.avail_out;
            if (r == Z_STREAM_END)
                break;
            if (r != Z_OK)
                return -1;
        }
    }
    *out = f->buf;
    *outlen = n;
    return 0;
}
