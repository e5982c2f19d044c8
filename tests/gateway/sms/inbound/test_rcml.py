"""RCML replies: forms, defaults, no-reply answers, malformed and hostile XML."""
from __future__ import annotations

import pytest
from lxml import etree

from gateway.sms.inbound.rcml import MAX_REPLIES, MediaSpec, RcmlError, ReplySpec, parse_rcml
from protocols.xmlsafe import hardened_parser

SENDER, OURS = "+447700900001", "+15550100"


def replies(doc):
    return parse_rcml(doc, sender=SENDER, our_number=OURS)


def test_full_message_form():
    doc = """<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Message to="+15559999" from="+15550111" statusCallback="https://app/st" action="https://app/act" method="get">
    <Body>Hello &amp; welcome</Body>
    <Media contentType="image/jpeg">https://app/cat.jpg</Media>
    <Media>https://app/dog.png</Media>
  </Message>
</Response>"""
    assert replies(doc) == (ReplySpec(
        to="+15559999", from_="+15550111", body="Hello & welcome",
        media=(MediaSpec("https://app/cat.jpg", "image/jpeg"), MediaSpec("https://app/dog.png", None)),
        status_callback="https://app/st", status_callback_method="POST", action="https://app/act", action_method="GET"),)


def test_status_callback_method_is_honoured_and_method_is_the_actions():
    doc = ('<Response><Message statusCallback="https://app/st" statusCallbackMethod="get" '
           'action="https://app/act" method="POST">x</Message></Response>')
    (reply,) = replies(doc)
    assert (reply.status_callback, reply.status_callback_method) == ("https://app/st", "GET")
    (reply,) = replies('<Message action="https://app/act" method="get">x</Message>')
    assert (reply.status_callback, reply.status_callback_method) == ("https://app/act", "GET")


def test_media_obey_the_apis_limit_of_eight():
    media = "".join(f"<Media>https://app/{i}.png</Media>" for i in range(9))
    assert len(replies(f"<Message>{media[:-len('<Media>https://app/8.png</Media>')]}</Message>")[0].media) == 8
    with pytest.raises(RcmlError, match="9 <Media>; at most 8"):
        replies(f"<Message>{media}</Message>")


def test_defaults_to_sender_and_our_number():
    (reply,) = replies("<Response><Message>Thanks</Message></Response>")
    assert (reply.to, reply.from_, reply.body, reply.status_callback, reply.status_callback_method) == \
        (SENDER, OURS, "Thanks", None, "POST")


def test_action_is_the_status_callback_without_status_callback():
    (reply,) = replies('<Response><Message action="https://app/a" method="POST">x</Message></Response>')
    assert (reply.status_callback, reply.action) == ("https://app/a", "https://app/a")


def test_verbs_after_a_message_with_an_action_are_unreachable():
    doc = ('<Response><Message>first</Message><Sms action="https://app/a">second</Sms>'
           '<Message>never</Message></Response>')
    assert [r.body for r in replies(doc)] == ["first", "second"]


def test_older_sms_form_and_bare_message():
    assert [r.body for r in replies("<Response><Sms>one</Sms><Message>two</Message></Response>")] == ["one", "two"]
    assert replies("<Message>bare</Message>")[0].body == "bare"
    assert replies("<Sms to='+1'>bare sms</Sms>")[0].to == "+1"


def test_other_verbs_ignored_and_replies_capped():
    doc = "<Response><Redirect>https://x</Redirect>" + "<Message>m</Message>" * 30 + "</Response>"
    assert len(replies(doc)) == MAX_REPLIES


def test_bytes_with_encoding_declaration():
    doc = '<?xml version="1.0" encoding="ISO-8859-1"?><Response><Message>Grüße</Message></Response>'
    assert replies(doc.encode("latin-1"))[0].body == "Grüße"
    assert replies(("\ufeff<Response><Message>bom</Message></Response>").encode("utf-8"))[0].body == "bom"


@pytest.mark.parametrize("answer", ["", "   \n", "OK", "ACK/Jasmin", '{"reply": "json"}', "<Response/>",
                                    "<Response></Response>", "<Response><Message></Message></Response>",
                                    "<Response><Message>   </Message></Response>"])
def test_no_reply(answer):
    assert replies(answer) == ()


@pytest.mark.parametrize("answer", ["<Response><Message>unclosed</Response>", "<Response>", "<a><b></a>",
                                    "<Response><Message>&nbsp;</Message></Response>", "<Html><body/></Html>"])
def test_malformed_raises(answer):
    with pytest.raises(RcmlError):
        replies(answer)


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-TOKEN")
    return path


def attacks(secret_path):
    uri = secret_path.as_uri()
    return [
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{uri}">]><Response><Message>&x;</Message></Response>',
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{uri}"> %p;]><Response><Message>x</Message></Response>',
        f'<!DOCTYPE Response SYSTEM "{uri}"><Response><Message>x</Message></Response>',
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;">]>'
        '<Response><Message>&lol4;</Message></Response>',
        f'<!doctype r [<!entity x system "{uri}">]><Response><Message>&x;</Message></Response>',
    ]


def test_xxe_and_billion_laughs_refused(secret):
    for doc in attacks(secret):
        with pytest.raises(RcmlError, match="DOCTYPE|ENTITY|malformed"):
            replies(doc)
        with pytest.raises(RcmlError):
            replies(doc.encode("utf-16"))  # the declaration check sees through UTF-16


def test_parser_itself_never_resolves_entities(secret):
    """The second wall: even if a DOCTYPE slipped past the check."""
    doc = f'<!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]><r>&x;</r>'.encode()
    root = etree.fromstring(doc, parser=hardened_parser())
    assert "TOP-SECRET" not in etree.tostring(root).decode()


def test_xinclude_is_not_processed(secret):
    doc = ('<Response xmlns:xi="http://www.w3.org/2001/XInclude"><Message><Body>'
           f'<xi:include href="{secret.as_uri()}" parse="text"/></Body></Message></Response>')
    assert all("TOP-SECRET" not in r.body for r in replies(doc))


def test_oversized_document_refused():
    with pytest.raises(RcmlError, match="bytes"):
        replies("<Response>" + "<Message>x</Message>" * 20000 + "</Response>")
