"""A drill's warning proposals (``citywatch simulate typhoon --exercise``) are the drill's: the computation
from the real readings neither moves nor lapses them, and a real signal takes their district over."""

from __future__ import annotations

from django.utils import timezone

from citywatch.core.models import AdminArea
from citywatch.warnings import actions
from citywatch.warnings.choices import ProposalStatus
from citywatch.warnings.models import Proposal


def test_a_drills_proposal_is_left_alone_by_the_computation(db):
    """An exercise proposal (a drill's, ``citywatch simulate typhoon --exercise``) is neither moved nor
    lapsed by the computation from the real readings, which knows nothing of drills — unless a real signal
    needs its area."""
    from citywatch.warnings.models import HazardType

    siming = AdminArea.objects.get(code="350203")
    drill = Proposal.objects.create(
        hazard=HazardType.objects.get(code="typhoon"), area=siming, level="yellow", value=10, unit="级",
        criterion="演练", observed_at=timezone.now(), exercise=True, history=[],
    )  # fmt: skip
    actions.record_signals("typhoon", [], [siming])  # a computation: no typhoon signal in 思明区
    drill.refresh_from_db()
    assert drill.status == ProposalStatus.OPEN and drill.level == "yellow"
    # A real signal there takes the area over (one open proposal per hazard and area): never blocked.
    signal = actions.Signal(
        area=siming, level="blue", value=7, unit="级", criterion="实测", observed_at=timezone.now()
    )
    [real] = actions.record_signals("typhoon", [signal], [siming])
    drill.refresh_from_db()
    assert drill.status == ProposalStatus.LAPSED and not real.exercise and real.status == ProposalStatus.OPEN
