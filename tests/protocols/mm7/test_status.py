import pytest

from protocols.mm7.status import Verdict, report_verdict, submit_verdict


@pytest.mark.parametrize("code,text,verdict,error", [
    (1000, "Success", Verdict.SENT, None),
    (1100, "Partial success", Verdict.SENT, None),
    (2002, "Address Error", Verdict.FAILED, 30005),
    (2007, "Message format corrupt", Verdict.FAILED, 30005),
    (2004, "Multimedia content refused", Verdict.FAILED, 30007),
    (2005, None, Verdict.FAILED, 30007),
    (3000, "Server error", Verdict.RETRY, 30008),
    (3001, "Not possible", Verdict.RETRY, 30008),
    (4006, "Service unavailable", Verdict.RETRY, 30008),
    (4001, "Improper identification", Verdict.FAILED, 30008),
    (2004, "Message size exceeds the limit", Verdict.FAILED, 30019),
    (3000, "content too large", Verdict.FAILED, 30019),
    (None, None, Verdict.FAILED, 30008),
])
def test_submit_verdicts(code, text, verdict, error):
    result = submit_verdict(code, text)
    assert result.verdict is verdict and result.error_code == error
    if error:
        assert str(code) in result.error_message


@pytest.mark.parametrize("mm_status,status,error", [
    ("Retrieved", "delivered", None), ("Forwarded", "delivered", None),
    ("Expired", "undelivered", 30003), ("Rejected", "undelivered", 30007),
    ("Unrecognised", "undelivered", 30005), ("unrecognized", "undelivered", 30005),
    ("Deferred", None, None), ("Indeterminate", None, None), ("whatever", None, None),
    (" RETRIEVED ", "delivered", None),
])
def test_report_verdicts(mm_status, status, error):
    verdict = report_verdict(mm_status)
    assert (verdict.status, verdict.error_code) == (status, error)
