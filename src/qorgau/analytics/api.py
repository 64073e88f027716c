"""The analytics API: aggregates only, through the same selectors and suppression as the pages."""

from ninja import Router

from qorgau.analytics.api_dashboard import router as dashboard_router
from qorgau.analytics.api_strategy import router as strategy_router

router = Router(tags=["analytics"])
router.add_router("/", dashboard_router)
router.add_router("/", strategy_router)
