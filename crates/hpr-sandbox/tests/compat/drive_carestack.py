#!/usr/bin/env python3
"""Drive a whole HPR registration through the real `carestack` 0.1.22.26 orchestrator (CreateHPR).

Used by `crates/hpr-sandbox/tests/carestack_compat.rs`, which installs the client into a virtualenv
and runs this script against an in-process sandbox; it also works by hand against `hpr-sandbox`.

Required env:
  SANDBOX_URL   base URL of the simulator, e.g. http://127.0.0.1:8080 (a path prefix is kept)
  SANDBOX_KEY   API key; the peer sends "Authorization: Bearer <key>"
  AADHAAR       12-digit Aadhaar (synthetic)
  MOBILE        mobile for demographic auth / mobile OTP (10 digits)
  OTP           fixed OTP the simulator accepts (used for Aadhaar OTP and, unless MOBILE_OTP is set, mobile OTP)
  HPR_ID        chosen HPR username (bare, e.g. asha.verma); empty -> first suggestion
  BRANCH        verified | otp | exists
Optional env:
  FACILITY_ID (default "sandbox-facility"; the peer refuses to start without one), X_HPR_ID (sent as
  x-hprid-auth; peer default "__X_HPR_ID__"), MOBILE_OTP, EMAIL (asha@example.com), PASSWORD
  (Ayushman@143), HP_CATEGORY_CODE (1), HP_SUBCATEGORY_CODE (1), PROFILE_PHOTO (default: none),
  DRIVE_TIMEOUT seconds per step (default 30).

Output: one JSON line per step on stdout: {"step": <step id>, "outcome": <StepOutcome dict>}, then on
success one line {"result": "created"|"exists", "hprIdNumber": ..., "hprId": ...}; diagnostics on stderr.
Tokens and photos are redacted, the peer's own loggers (which log request bodies: Aadhaar, OTP,
password) are silenced, and pydantic errors are shown without their input values.
Exit: 0 success; 1 flow/expectation mismatch; 2 bad driver config; 3 peer raised (API/validation error);
4 timeout.
"""
import asyncio
import json
import logging
import os
import re
import sys

# The peer calls load_dotenv() at import (searching upwards from its own install dir when run as a
# script, from cwd under `python -c`/REPL/a tracer) and reads API_URL / X_HPR_ID from the environment.
# Keep stray .env files out of the test (python-dotenv >= 1.2 honours PYTHON_DOTENV_DISABLED).
os.environ.setdefault("PYTHON_DOTENV_DISABLED", "1")
# httpx honours HTTP(S)_PROXY; never send loopback traffic to a proxy.
_np = [h for h in os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")).split(",") if h]
for _h in ("127.0.0.1", "localhost", "::1"):
    if _h not in _np:
        _np.append(_h)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = ",".join(_np)

from pydantic import ValidationError as PydanticValidationError  # noqa: E402

from carestack.base.base_types import ClientConfig  # noqa: E402
from carestack.base.errors import EhrApiError  # noqa: E402
from carestack.common.enums import HprRegistrationSteps as S  # noqa: E402
from carestack.practitioner.hpr.create_hpr import CreateHPR  # noqa: E402

SECRET_KEYS = {"token", "photo", "profilePhoto", "kycPhoto"}


class Fail(Exception):
    def __init__(self, code, msg):
        super().__init__(msg)
        self.code = code


def env(name, default=None, required=True):
    v = os.environ.get(name)
    if v is None or v == "":
        if default is not None or not required:
            return default
        raise Fail(2, f"missing env var {name}")
    return v


def redact(o):
    if isinstance(o, dict):
        return {k: (f"<redacted:{len(v)} chars>" if k in SECRET_KEYS and isinstance(v, str) and v else redact(v))
                for k, v in o.items()}
    if isinstance(o, list):
        return [redact(x) for x in o]
    return o


_INPUT_VALUE = re.compile(r"input_value=.*?(?=, input_type=)", re.DOTALL)


def pydantic_errors(e):
    """A pydantic ValidationError as `model: loc: msg [type]; ...`, never with the input values."""
    try:
        errs = e.errors(include_input=False, include_url=False)
    except Exception:
        return None
    items = "; ".join(f"{'.'.join(str(p) for p in err.get('loc', ())) or '<root>'}: {err.get('msg')} [{err.get('type')}]"
                      for err in errs)
    return f"{getattr(e, 'title', type(e).__name__)}: {items}"


def describe(e):
    """The peer wraps errors (start_registration drops status and body); walk the cause chain."""
    parts, http, cur, seen = [], None, e, set()
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        text = (pydantic_errors(cur) if isinstance(cur, PydanticValidationError) else None) \
            or _INPUT_VALUE.sub("input_value=<redacted>", f"{type(cur).__name__}: {cur}")
        if not parts or text.split(": ", 1)[-1] not in parts[-1]:
            parts.append(text)
        if isinstance(cur, EhrApiError) and isinstance(cur.data, (dict, list, str)) and http is None:
            http = (cur.status_code, cur.data)
        cur = cur.__cause__ or cur.__context__
    msg = " <- ".join(parts)
    if http:
        body = json.dumps(redact(http[1]), ensure_ascii=False)[:2048]
        msg += f" | http_status={http[0]} body={_INPUT_VALUE.sub('input_value=<redacted>', body)}"
    return msg


def emit(step, outcome):
    print(json.dumps({"step": step, "outcome": redact(outcome)}, default=str, ensure_ascii=False), flush=True)


def expect(cond, msg):
    if not cond:
        raise Fail(1, msg)


def split_birthdate(bd):
    # step-2 KYC birthDate is dd-MM-yyyy
    try:
        d, m, y = bd.split("-")
        return d, m, y
    except Exception:
        return None, None, None


async def run():
    url = env("SANDBOX_URL")
    key = env("SANDBOX_KEY")
    aadhaar = env("AADHAAR")
    mobile = env("MOBILE")
    otp = env("OTP")
    hpr_id = env("HPR_ID", required=False)
    branch = env("BRANCH")
    if branch not in ("verified", "otp", "exists"):
        raise Fail(2, f"BRANCH must be verified|otp|exists, got {branch!r}")
    mobile_otp = env("MOBILE_OTP", otp)
    timeout = float(env("DRIVE_TIMEOUT", "30"))

    cfg = ClientConfig(
        api_key=key,
        api_url=url,
        facility_id=env("FACILITY_ID", "sandbox-facility"),
        x_hpr_id=env("X_HPR_ID", required=False),  # None -> env X_HPR_ID or "__X_HPR_ID__"
    )
    flow = CreateHPR(cfg)

    async def step(step_id, coro):
        try:
            out = await asyncio.wait_for(coro, timeout)
        except asyncio.TimeoutError:
            raise Fail(4, f"step {step_id}: no answer within {timeout}s")
        except Exception as e:  # EhrApiError, or pydantic ValidationError re-raised by the dispatcher
            raise Fail(3, f"step {step_id}: {describe(e)}")
        emit(step_id, out)
        return out

    txn = None

    def thread_txn(out):
        nonlocal txn
        d = out.get("data")
        if isinstance(d, dict) and isinstance(d.get("txnId"), str) and d["txnId"].strip():
            txn = d["txnId"]

    try:
        # 1 generate_aadhaar_otp (only via start_registration)
        out = await step(S.GENERATE_AADHAAR_OTP.value, flow.start_registration(aadhaar))
        thread_txn(out)
        expect(txn, "step 1 returned no txnId")
        expect(out["next_step"] == S.VERIFY_AADHAAR_OTP.value, f"unexpected next_step {out['next_step']}")

        # 2 verify_aadhaar_otp
        out = await step(S.VERIFY_AADHAAR_OTP.value, flow.registration_flow(S.VERIFY_AADHAAR_OTP, {
            "otp": otp, "txnId": txn, "domainName": "@hpr.abdm", "idType": "hpr_id", "restrictions": None}))
        kyc = out["data"]
        thread_txn(out)
        expect(out["next_step"] == S.CHECK_ACCOUNT_EXIST.value, f"unexpected next_step {out['next_step']}")

        # 3 check_account_exist
        out = await step(S.CHECK_ACCOUNT_EXIST.value, flow.registration_flow(S.CHECK_ACCOUNT_EXIST, {
            "txnId": txn, "preverifiedCheck": True}))
        acct = out["data"]
        exists = bool((acct.get("hprIdNumber") or "").strip())
        if branch == "exists":
            expect(exists and out["next_step"] is None,
                   f"expected an existing account, got hprIdNumber present={exists}, next_step={out['next_step']}")
            expect(acct.get("hprId"), "existing account without hprId")
            print(json.dumps({"result": "exists", "hprIdNumber": acct["hprIdNumber"], "hprId": acct["hprId"]}),
                  flush=True)
            return 0
        expect(not exists, "account already exists for this Aadhaar (BRANCH is not 'exists')")
        expect(out["next_step"] == S.DEMOGRAPHIC_AUTH_VIA_MOBILE.value, f"unexpected next_step {out['next_step']}")
        thread_txn(out)

        # 4 demographic_auth_via_mobile
        out = await step(S.DEMOGRAPHIC_AUTH_VIA_MOBILE.value, flow.registration_flow(S.DEMOGRAPHIC_AUTH_VIA_MOBILE, {
            "txnId": txn, "mobileNumber": mobile}))
        verified = out["data"]["verified"]
        if branch == "verified":
            expect(verified is True and out["next_step"] == S.GET_HPR_ID_SUGGESTION.value,
                   f"expected verified=true -> get_hpr_id_suggestion, got {verified} -> {out['next_step']}")
        else:
            expect(verified is False and out["next_step"] == S.GENERATE_MOBILE_OTP.value,
                   f"expected verified=false -> generate_mobile_otp, got {verified} -> {out['next_step']}")
            # 5 generate_mobile_otp (key is `mobile`)
            out = await step(S.GENERATE_MOBILE_OTP.value, flow.registration_flow(S.GENERATE_MOBILE_OTP, {
                "mobile": mobile, "txnId": txn}))
            thread_txn(out)
            expect(out["next_step"] == S.VERIFY_MOBILE_OTP.value, f"unexpected next_step {out['next_step']}")
            # 6 verify_mobile_otp
            out = await step(S.VERIFY_MOBILE_OTP.value, flow.registration_flow(S.VERIFY_MOBILE_OTP, {
                "otp": mobile_otp, "txnId": txn}))
            thread_txn(out)
            expect(out["next_step"] == S.GET_HPR_ID_SUGGESTION.value, f"unexpected next_step {out['next_step']}")

        # 7 get_hpr_id_suggestion (data is a bare list of strings)
        out = await step(S.GET_HPR_ID_SUGGESTION.value, flow.registration_flow(S.GET_HPR_ID_SUGGESTION, {
            "txnId": txn}))
        sugg = out["data"]
        expect(isinstance(sugg, list), "suggestions are not a list")
        expect(out["next_step"] == S.CREATE_HPR_ID_WITH_PREVERIFIED.value, f"unexpected next_step {out['next_step']}")
        chosen = hpr_id or (sugg[0] if sugg else None)
        expect(chosen, "no HPR_ID given and no suggestion returned")

        # 8 create_hpr_id_with_preverified: demographics from step 3, fallback step-2 KYC
        d, m, y = split_birthdate(kyc.get("birthDate") or "")
        name_parts = (kyc.get("name") or "").split()

        def pick(k, fb=None):
            v = acct.get(k)
            return v if isinstance(v, str) and v.strip() else fb

        payload = {
            "address": pick("address", kyc.get("address")),
            "dayOfBirth": pick("dayOfBirth", d),
            "districtCode": pick("districtCode"),
            "email": env("EMAIL", "asha@example.com"),
            "firstName": pick("firstName", name_parts[0] if name_parts else None),
            "hpCategoryCode": env("HP_CATEGORY_CODE", "1"),
            "hpSubCategoryCode": env("HP_SUBCATEGORY_CODE", "1"),
            "hprId": chosen,
            "lastName": pick("lastName", name_parts[-1] if len(name_parts) > 1 else None),
            "middleName": pick("middleName"),
            "monthOfBirth": pick("monthOfBirth", m),
            "password": env("PASSWORD", "Ayushman@143"),
            "pincode": pick("pincode", kyc.get("pincode")),
            "profilePhoto": env("PROFILE_PHOTO", required=False),
            "stateCode": pick("stateCode"),
            "txnId": txn,
            "yearOfBirth": pick("yearOfBirth", y),
        }
        out = await step(S.CREATE_HPR_ID_WITH_PREVERIFIED.value,
                         flow.registration_flow(S.CREATE_HPR_ID_WITH_PREVERIFIED, payload))
        res = out["data"]
        expect(out["next_step"] is None, f"unexpected next_step {out['next_step']}")
        expect(res.get("hprIdNumber") and res.get("hprId") and res.get("token"), "create returned empty ids/token")
        print(json.dumps({"result": "created", "hprIdNumber": res["hprIdNumber"], "hprId": res["hprId"]}),
              flush=True)
        return 0
    finally:
        await flow.hpr_service.close()  # the peer never closes its httpx.AsyncClient itself


def main():
    # The peer logs request bodies (Aadhaar, OTP, password) and raw responses; keep them out.
    logging.getLogger("carestack").setLevel(logging.CRITICAL + 1)
    try:
        rc = asyncio.run(run())
    except Fail as f:
        print(f"drive.py: FAIL: {f}", file=sys.stderr)
        return f.code
    except (ValueError, TypeError) as e:  # ClientConfig / BaseService config errors
        print(f"drive.py: FAIL: configuration: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    print(f"drive.py: OK ({os.environ.get('BRANCH')})", file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
