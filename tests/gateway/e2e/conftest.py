import pytest
import pytest_twisted
from twisted.internet import defer

from tests.gateway.http_helpers import Recorder, serve


@pytest.fixture
def web():
    recorder = Recorder()
    port, url = serve(recorder)
    yield recorder, url
    pytest_twisted.blockon(defer.maybeDeferred(port.stopListening))
