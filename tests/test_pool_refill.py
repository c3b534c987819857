"""The preheated pool refills once a burst of pages is over (casebook.web.CalmRefill), so a
burst does not pay for its replacements while it is being served."""

import asyncio
import concurrent.futures

from casebook import web


class VoilaPool:
    """Stands in for Voila's preheating kernel manager: records the fills it is asked for."""

    def __init__(self):
        self.fills = []

    def fill_if_needed(self, delay=None, notebook_name=None, extra_kernel_env_variables=None, **kwargs):
        self.fills.append((round(asyncio.get_event_loop().time() - self.started, 1), delay, notebook_name))


class CasebookPool(web.CalmRefill, VoilaPool):
    pass


def run(monkeypatch, scenario):
    monkeypatch.setattr(web, "REFILL_QUIET_SECONDS", 0.3)
    monkeypatch.setattr(web, "REFILL_LATEST_SECONDS", 1.0)

    async def main():
        pool = CasebookPool()
        pool.started = asyncio.get_event_loop().time()
        await scenario(pool)
        return pool.fills

    # a thread of its own: a browser test's Playwright may have left an event loop in this one
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, main()).result()


def test_a_burst_of_pages_gets_one_refill_after_it_is_over(monkeypatch):
    async def burst(pool):
        for _ in range(5):  # five pages take a kernel, 0.1 s apart
            pool.fill_if_needed(notebook_name="participant.ipynb")
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.6)

    fills = run(monkeypatch, burst)
    assert len(fills) == 1, fills  # one refill, not five, and none during the burst
    at, delay, name = fills[0]
    assert (delay, name) == (0, "participant.ipynb")
    assert 0.65 <= at <= 0.9  # 0.3 s after the last page (at 0.4 s)


def test_pages_that_keep_coming_still_get_a_refill_in_time(monkeypatch):
    async def steady(pool):
        for _ in range(14):  # a page every 0.2 s: never 0.3 s quiet
            pool.fill_if_needed(notebook_name="participant.ipynb")
            await asyncio.sleep(0.2)

    fills = run(monkeypatch, steady)
    assert fills and 0.95 <= fills[0][0] <= 1.3  # at the latest 1 s after the first page


def test_notebooks_refill_apart_and_the_first_fill_is_not_delayed(monkeypatch):
    async def mixed(pool):
        pool.fill_if_needed(0, "solo.ipynb")  # the fill at start passes straight through
        pool.fill_if_needed(notebook_name="participant.ipynb")
        pool.fill_if_needed(notebook_name="facilitator.ipynb")
        await asyncio.sleep(0.5)

    fills = run(monkeypatch, mixed)
    assert fills[0] == (0.0, 0, "solo.ipynb")
    assert sorted(name for _, _, name in fills[1:]) == ["facilitator.ipynb", "participant.ipynb"]
