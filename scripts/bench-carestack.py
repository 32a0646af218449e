#!/usr/bin/env python3
"""The Python peer, `carestack` 0.1.22.26, timed against a running `hpr sandbox` (scripts/bench).

  bench-carestack.py call     --url URL --calls N --concurrency C [--warmup N] [--first K]
  bench-carestack.py register --url URL --registrations N --concurrency C [--first K]

`call`: A1 generate Aadhaar OTP through the peer's public async API,
`HPRService.generate_aadhaar_otp({"aadhaar": ...})`, with the same synthetic Aadhaar numbers, in the
same order, as the Rust `client_floor` example (`4`, a counter from --first, the Verhoeff check
digit; warm-up calls take the numbers after the timed ones). Concurrency 1 awaits one call at a
time; C > 1 runs C asyncio tasks sharing the calls over the one `httpx.AsyncClient` the service
holds. Prints one JSON line: {"client":"python","concurrency":C,"calls":N,"p50_us":...,"p99_us":...,
"calls_per_s":...,"cpu_us_per_call":...,"errors":E}; CPU time is resource.getrusage(RUSAGE_SELF)
user+sys over the timed section.

`register`: whole registrations through the peer's orchestrator, `CreateHPR.start_registration`
then `CreateHPR.registration_flow` for each next step (mobile-OTP branch: mobile 600xxxxxxx; the
verified branch if that happens to be the linked one), one shared `CreateHPR` (the peer keeps no
flow state in it), C registrations at a time. Aadhaar numbers `5`, a counter from --first, check
digit; HPR IDs `py.user<n>`. Prints one JSON line: {"registrations":N,"concurrency":C,"mean_ms":...,
"p50_ms":...,"registrations_per_s":...,"errors":E}.

Exit status 1 if any call or registration failed (the first few errors go to stderr, without
request values). The peer's own loggers, which log request bodies, are silenced.
"""
import argparse
import asyncio
import json
import logging
import os
import resource
import sys
import time

os.environ.setdefault("PYTHON_DOTENV_DISABLED", "1")
_np = [h for h in os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")).split(",") if h]
for _h in ("127.0.0.1", "localhost", "::1"):
    if _h not in _np:
        _np.append(_h)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(_np)

from carestack.base.base_types import ClientConfig  # noqa: E402
from carestack.common.enums import HprRegistrationSteps as S  # noqa: E402
from carestack.practitioner.hpr.create_hpr import CreateHPR  # noqa: E402
from carestack.practitioner.hpr.hpr_service import HPRService  # noqa: E402

OTP = "123456"
_D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
      [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
      [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
      [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
      [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
      [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]
_INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def aadhaar(prefix, n):
    """`prefix`, a 10-digit counter, the Verhoeff check digit (CONTRACT §5.1)."""
    payload = f"{prefix}{n % 10_000_000_000:010d}"
    c = 0
    for i, ch in enumerate(reversed(payload)):
        c = _D[c][_P[(i + 1) % 8][int(ch)]]
    return payload + str(_INV[c])


def config(url):
    return ClientConfig(api_key="bench", api_url=url, facility_id="bench-facility")


def cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def pct(sorted_values, p):
    if not sorted_values:
        return 0.0
    return sorted_values[min(int(len(sorted_values) * p), len(sorted_values) - 1)]


class Errors:
    def __init__(self):
        self.count = 0

    def add(self, what, e):
        self.count += 1
        if self.count <= 5:
            # the type and HTTP status only: the peer's messages may quote inputs
            status = getattr(e, "status_code", None)
            print(f"bench-carestack: {what}: {type(e).__name__} (status {status})", file=sys.stderr)


async def run_pool(jobs, concurrency, job):
    """Runs job(i) for i in jobs on `concurrency` tasks; returns (latencies, wall seconds)."""
    it = iter(jobs)
    latencies = []

    async def worker():
        for i in it:
            t = time.perf_counter()
            if await job(i):
                latencies.append(time.perf_counter() - t)

    began = time.perf_counter()
    if concurrency == 1:
        await worker()
    else:
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, time.perf_counter() - began


async def call_mode(a):
    service = HPRService(config(a.url))
    errors = Errors()
    numbers = [aadhaar(4, a.first + k) for k in range(a.calls + a.warmup)]

    async def one(k):
        try:
            r = await service.generate_aadhaar_otp({"aadhaar": numbers[k]})
            if not r.txnId:
                raise ValueError("no txnId")
            return True
        except Exception as e:  # noqa: BLE001 - every failure counts
            errors.add(f"call {k}", e)
            return False

    try:
        # warm-up: the numbers after the timed ones
        await run_pool(range(a.calls, a.calls + a.warmup), a.concurrency, one)
        cpu0 = cpu_s()
        lat, wall = await run_pool(range(a.calls), a.concurrency, one)
        cpu = cpu_s() - cpu0
    finally:
        await service.close()
    lat.sort()
    print(json.dumps({
        "client": "python", "concurrency": a.concurrency, "calls": len(lat),
        "p50_us": round(pct(lat, 0.5) * 1e6, 1), "p99_us": round(pct(lat, 0.99) * 1e6, 1),
        "calls_per_s": round(len(lat) / wall, 1), "cpu_us_per_call": round(cpu * 1e6 / max(len(lat), 1), 2),
        "errors": errors.count,
    }, separators=(",", ":")), flush=True)
    return 1 if errors.count else 0


async def register_one(flow, n):
    """One whole registration through CreateHPR; raises on any failure."""
    mobile = f"600{n % 10_000_000:07d}"
    out = await flow.start_registration(aadhaar(5, n))
    txn = out["data"]["txnId"]
    out = await flow.registration_flow(S.VERIFY_AADHAAR_OTP, {
        "otp": OTP, "txnId": txn, "domainName": "@hpr.abdm", "idType": "hpr_id", "restrictions": None})
    kyc = out["data"]
    out = await flow.registration_flow(S.CHECK_ACCOUNT_EXIST, {"txnId": txn, "preverifiedCheck": True})
    acct = out["data"]
    if (acct.get("hprIdNumber") or "").strip() or out["next_step"] != S.DEMOGRAPHIC_AUTH_VIA_MOBILE.value:
        raise RuntimeError("account already exists")
    out = await flow.registration_flow(S.DEMOGRAPHIC_AUTH_VIA_MOBILE, {"txnId": txn, "mobileNumber": mobile})
    if out["next_step"] == S.GENERATE_MOBILE_OTP.value:
        await flow.registration_flow(S.GENERATE_MOBILE_OTP, {"mobile": mobile, "txnId": txn})
        await flow.registration_flow(S.VERIFY_MOBILE_OTP, {"otp": OTP, "txnId": txn})
    await flow.registration_flow(S.GET_HPR_ID_SUGGESTION, {"txnId": txn})
    d, m, y = (kyc.get("birthDate") or "--").split("-")
    names = (kyc.get("name") or "").split()

    def pick(k, fallback=None):
        v = acct.get(k)
        return v if isinstance(v, str) and v.strip() else fallback

    out = await flow.registration_flow(S.CREATE_HPR_ID_WITH_PREVERIFIED, {
        "address": pick("address", kyc.get("address")), "dayOfBirth": pick("dayOfBirth", d),
        "districtCode": pick("districtCode"), "email": f"py{n}@example.com",
        "firstName": pick("firstName", names[0] if names else None), "hpCategoryCode": "1",
        "hpSubCategoryCode": "1", "hprId": f"py.user{n}",
        "lastName": pick("lastName", names[-1] if len(names) > 1 else None), "middleName": pick("middleName"),
        "monthOfBirth": pick("monthOfBirth", m), "password": "Ayushman@143",
        "pincode": pick("pincode", kyc.get("pincode")), "profilePhoto": None, "stateCode": pick("stateCode"),
        "txnId": txn, "yearOfBirth": pick("yearOfBirth", y),
    })
    if out["next_step"] is not None or not out["data"].get("hprIdNumber"):
        raise RuntimeError("create did not complete the registration")


async def register_mode(a):
    flow = CreateHPR(config(a.url))
    errors = Errors()

    async def one(n):
        try:
            await register_one(flow, n)
            return True
        except Exception as e:  # noqa: BLE001 - every failure counts
            errors.add(f"registration {n}", e)
            return False

    try:
        lat, wall = await run_pool(range(a.first, a.first + a.registrations), a.concurrency, one)
    finally:
        await flow.hpr_service.close()
    lat.sort()
    print(json.dumps({
        "registrations": len(lat), "concurrency": a.concurrency,
        "mean_ms": round(sum(lat) * 1e3 / max(len(lat), 1), 2), "p50_ms": round(pct(lat, 0.5) * 1e3, 2),
        "registrations_per_s": round(len(lat) / wall, 1), "errors": errors.count,
    }, separators=(",", ":")), flush=True)
    return 1 if errors.count else 0


def main():
    logging.getLogger("carestack").setLevel(logging.CRITICAL + 1)
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["call", "register"])
    p.add_argument("--url", required=True)
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--registrations", type=int, default=100)
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--first", type=int, default=0)
    a = p.parse_args()
    a.concurrency = max(a.concurrency, 1)
    return asyncio.run(call_mode(a) if a.mode == "call" else register_mode(a))


if __name__ == "__main__":
    sys.exit(main())
