#!/usr/bin/env python3
"""bench/delay_proxy.py whose --replay also keys each request by the access key that signed it,
for bench/accounts.sh (MODE=replay). Same arguments as delay_proxy.py.

delay_proxy.py's replay keys a request by its operation, path and body only, so with several
accounts DescribeLoadBalancers signed in account 3 would get the answer stored for account 1.
Here the key also holds the SigV4 signer: the access key id, region and service of
`Credential=AKID/DATE/REGION/SERVICE/aws4_request` in the Authorization header (the region too:
with an endpoint override the request line and body of DescribeLoadBalancers are the same in
every region, so delay_proxy.py's key would also serve one region's answer to another). Every account's keys come from AssumeRole, whose request (the role's ARN) is replayed
too once primed: a replayed run receives the same keys as the priming run, so its requests find
their own account's stored answers, and the server's time drops to ~0 without mixing accounts.
"""

import asyncio
import contextvars
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import delay_proxy  # noqa: E402

# Set per connection task (asyncio runs each connection's handler in a task of its own, with its
# own context), read by replay_key after the request's delay.
_signer = contextvars.ContextVar("signer", default="")
_operation = delay_proxy.operation
_replay_key = delay_proxy.replay_key


def operation(start_line, headers, body):
    m = re.search(r"Credential=([^/,\s]+)/[^/,\s]+/([^/,\s]+)/([^/,\s]+)/",
                  headers.get("authorization", ""))
    _signer.set("/".join(m.groups()) if m else "")
    return _operation(start_line, headers, body)


def replay_key(op, start_line, body):
    return (_signer.get(),) + _replay_key(op, start_line, body)


delay_proxy.operation = operation
delay_proxy.replay_key = replay_key

if __name__ == "__main__":
    try:
        asyncio.run(delay_proxy.main())
    except KeyboardInterrupt:
        pass
