"""Windows on a conv5 map for the pooling tests: random ones, and those the sliding rule pools as it should."""

import torch

from sppviz.method import bins


def random_cells(k, h, w, gen):
    """k random windows (cx0, cy0, cx1, cy1) with sizes 1..full map, inside an h x w map."""
    ws = torch.randint(1, w + 1, (k,), generator=gen)
    hs = torch.randint(1, h + 1, (k,), generator=gen)
    x0 = (torch.rand(k, generator=gen) * (w - ws + 1)).long()
    y0 = (torch.rand(k, generator=gen) * (h - hs + 1)).long()
    return torch.stack([x0, y0, x0 + ws - 1, y0 + hs - 1], dim=1)


def sliding_cells(cells, levels, most):
    """The first ``most`` of ``cells`` whose every axis gives n sliding bins for every level n (e.g. 7, 13 cells)."""
    sizes = torch.cat([cells[:, 2:3] - cells[:, :1] + 1, cells[:, 3:] - cells[:, 1:2] + 1], dim=1)
    ok = torch.ones(len(cells), dtype=torch.bool)
    for n in levels:
        ok &= (bins.sliding_count(sizes, n) == n).all(dim=1)
    return cells[ok][:most]
