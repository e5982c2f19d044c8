"""The bench's once-a-second samples and its report, on the in-memory network."""
from __future__ import annotations

from gateway.simulators.bench.load import BenchOptions, BenchRunner
from gateway.simulators.bench.progress import Sample, Sampler, progress_line
from gateway.simulators.bench.report import latency_histogram, render, throughput_series

from gateway.simulators.smsc.testing import MemNet


def sampled_run(count: int, rate: float) -> tuple[BenchRunner, Sampler, dict, list[str]]:
    net = MemNet()
    runner = BenchRunner(net.reactor, net.settings(), net.endpoint_factory,
                         BenchOptions(count=count, rate=rate, receipts=True))
    lines: list[str] = []
    sampler = Sampler(net.reactor, runner, on_sample=lambda a, b: lines.append(
        progress_line(a, b)))
    sampler.start()
    box: list = []
    runner.run().addBoth(box.append).addBoth(lambda _: sampler.stop())
    while not box and net.reactor.seconds() < 30:
        net.advance(0.01)
    net.sim.stop()
    net.flush()
    assert net.reactor.getDelayedCalls() == []
    return runner, sampler, box[0], lines


def test_samples_follow_the_run_and_stop_with_it():
    runner, sampler, result, lines = sampled_run(count=100, rate=40.0)
    assert result["accepted"] == 100
    first, last = sampler.samples[0], sampler.samples[-1]
    assert (first.sent, first.answered) == (0, 0)
    assert (last.sent, last.answered, last.accepted, last.receipts) == (100, 100, 100, 100)
    assert len(lines) == 2  # 100 at 40/s: two whole seconds, then the final sample
    # the second full second answered about 40 (the pace), not the run's average
    series = throughput_series(sampler.samples)
    assert 35 <= series[1][1] <= 45
    assert "errors 0" in lines[-1]


def test_latency_buckets_are_logarithmic_and_count_everything():
    buckets = latency_histogram([0.001, 0.0011, 0.010, 0.5])
    assert sum(count for _, _, count in buckets) == 4
    assert buckets[0][0] <= 1.0 < buckets[0][1]
    assert buckets[-1][0] <= 500.0 < buckets[-1][1]
    assert latency_histogram([]) == []


def test_report_is_one_self_contained_page():
    runner, sampler, result, _ = sampled_run(count=60, rate=30.0)
    page = render(result, sampler.samples, runner.latencies, "bench <&> run")
    assert page.startswith("<!doctype html>")
    assert "bench &lt;&amp;&gt; run" in page
    assert page.count("<svg") == 2 and "<script" not in page and "<link" not in page


def test_progress_line_reads_the_last_interval():
    line = progress_line(Sample(1.0, 100, 90, 88, 10), Sample(2.0, 300, 290, 280, 60))
    assert "200 submit_sm/s" in line and "errors 10" in line and "(50/s)" in line
