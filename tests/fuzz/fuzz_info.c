/* fuzz_info.c — gen_sizing_info (generator/gen_sizing.c) on the text of
 * INFO memory as Redis answers it (a bulk string: any bytes, NUL-ended by
 * hiredis). Checks gen_sizing.h's promises: 0 only with a maxmemory >= 0,
 * the policy always NUL-ended within its buffer, whatever the text. */
#include "fuzz.h"
#include "gen_sizing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_copy(data, size, 1);
    if (s == NULL)
        return 0;
    int64_t max = -7;
    char policy[24];
    memset(policy, 'x', sizeof(policy));
    int rc = gen_sizing_info(s, &max, policy, sizeof(policy));
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(rc != 0 || max >= 0);
    fuzz_check_msg(policy, sizeof(policy));
    free(s);
    return 0;
}
