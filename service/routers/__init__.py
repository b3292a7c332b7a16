"""The service's APIRouter modules, one per area; hypemeter.service.app assembles them."""
