"""Training helpers: batch-norm folding is exact; fine-tuning samples follow the paper's IoU rules."""

import numpy as np
import pytest
import torch

from sppviz.model import backbones, train
from sppviz.model.detector import box_iou


def test_fold_batchnorm_is_exact_and_restores_the_zf5_stack():
    torch.manual_seed(0)
    trunk = backbones.build("zf5", width=0.25)
    names = [n for n, _ in trunk.layers.named_children()]
    train.add_batchnorm(trunk)
    for m in trunk.layers.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-1, 1)
            m.running_var.uniform_(0.5, 2)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    trunk.eval()
    x = torch.randn(2, 3, 97, 131)
    with torch.no_grad():
        before = trunk(x)
        train.fold_batchnorm(trunk)
        after = trunk(x)
    assert [n for n, _ in trunk.layers.named_children()] == names
    assert torch.allclose(before, after, atol=1e-4, rtol=1e-4)
    assert trunk.geometry == backbones.build("zf5", width=0.25).geometry


def test_sample_windows_follows_the_paper_fine_tuning_rules():
    rng = np.random.default_rng(0)
    gt = torch.tensor([[100.0, 100.0, 199.0, 199.0], [300.0, 50.0, 349.0, 129.0]])
    xy = torch.as_tensor(rng.uniform(0, 400, (3000, 2)), dtype=torch.float32)
    wh = torch.as_tensor(rng.uniform(10, 200, (3000, 2)), dtype=torch.float32)
    windows = torch.cat([xy, xy + wh], 1)
    near = gt.repeat(20, 1) + torch.as_tensor(rng.uniform(-8, 8, (40, 4)), dtype=torch.float32)
    windows = torch.cat([windows, near])  # plenty of positives (IoU ≥ 0.5)
    win, labels, targets = train.sample_windows(windows, gt, torch.tensor([2, 5]), 64, 0.25, rng, bg=7)
    assert len(win) == 64
    iou = box_iou(win, gt).max(1).values
    pos = labels != 7
    assert int(pos.sum()) == 16  # 25 % positives
    assert torch.all(iou[pos] >= 0.5) and torch.all(iou[~pos] < 0.5)
    hard = (~pos) & (iou >= 0.1)
    assert int(hard.sum()) >= 3 * int(((~pos) & (iou < 0.1)).sum())  # most negatives in [0.1, 0.5)
    assert set(labels[pos].tolist()) <= {2, 5}
    assert torch.all(targets[~pos] == 0)


def _tiny_net():
    from sppviz.model import synthetic
    from sppviz.model.detector import SPPNet

    torch.manual_seed(0)
    trunk = backbones.build("zf5", width=0.125)
    return SPPNet(trunk, synthetic.CLASSES, (1, 2, 3, 6), hidden=32, width=0.125)


def _cfg(**kw):
    return train.TrainConfig(ft_scenes=2, ft_windows_per_scene=16, ft_epochs=2, ft_conv_epochs=2,
                             ft_scales=(480, 576), **kw)


@pytest.mark.slow
def test_end_to_end_fine_tuning_trains_conv_through_spp_with_frozen_batchnorm():
    net = _tiny_net()
    train.add_batchnorm(net.trunk)
    net.eval()
    before = {k: v.clone() for k, v in net.trunk.state_dict().items()}
    out = train.finetune_conv(net, _cfg())
    after = net.trunk.state_dict()
    conv = [k for k in before if k.endswith("weight") and before[k].dim() == 4]
    assert conv and all(not torch.equal(before[k], after[k]) for k in conv)  # every conv layer learned
    stats = [k for k in before if "running_" in k]
    assert stats and all(torch.equal(before[k], after[k]) for k in stats)  # BN statistics frozen
    assert len(out["epochs"]) == 2 and all(np.isfinite(e["loss"]) for e in out["epochs"])
    assert not net.training


@pytest.mark.slow
def test_paper_fine_tuning_keeps_conv_frozen():
    net = _tiny_net()
    net.eval()
    before = {k: v.clone() for k, v in net.trunk.state_dict().items()}
    head_before = net.head.fc6.weight.clone()
    train.finetune(net, _cfg(ft_conv=False))
    assert all(torch.equal(before[k], v) for k, v in net.trunk.state_dict().items())
    assert not torch.equal(head_before, net.head.fc6.weight)


def test_hard_negatives_are_the_highest_loss_windows_below_iou_half():
    rng = np.random.default_rng(1)
    gt = torch.tensor([[100.0, 100.0, 199.0, 199.0]])
    xy = torch.as_tensor(rng.uniform(0, 400, (500, 2)), dtype=torch.float32)
    wh = torch.as_tensor(rng.uniform(10, 200, (500, 2)), dtype=torch.float32)
    windows = torch.cat([xy, xy + wh], 1)
    windows = torch.cat([windows, gt.repeat(30, 1) + torch.as_tensor(rng.uniform(-5, 5, (30, 4)), dtype=torch.float32)])
    rows = torch.cat([gt, windows])
    best = box_iou(rows, gt).max(1).values
    loss = torch.as_tensor(rng.uniform(0, 1, len(rows)), dtype=torch.float32)
    loss[best >= 0.5] = 10.0  # positives must never be mined as negatives, however high their loss
    win, labels, _ = train.sample_windows(windows, gt, torch.tensor([3]), 64, 0.25, rng, bg=7,
                                          neg_loss=loss, hard_fraction=0.5)
    negs = torch.nonzero(best < 0.5).flatten()
    top = rows[negs[torch.topk(loss[negs], 24).indices]]  # 48 negatives, half of them mined
    assert int((labels != 7).sum()) == 16 and len(win) == 64
    neg_win = win[labels == 7]
    assert torch.equal(neg_win[:24], top)
    assert torch.all(box_iou(neg_win, gt).max(1).values < 0.5)
    assert len(torch.unique(neg_win, dim=0)) == len(neg_win)  # no window drawn twice


def test_training_scale_draw_favours_the_single_test_scale():
    rng = np.random.default_rng(0)
    cfg = train.TrainConfig(ft_single_scale_p=0.5)
    draws = np.array([train._draw_scale(cfg, rng) for _ in range(4000)])
    assert set(draws.tolist()) == set(cfg.ft_scales)
    assert abs((draws == 688).mean() - 0.6) < 0.03  # 0.5 + 0.5 / 5
    uniform = np.array([train._draw_scale(train.TrainConfig(ft_single_scale_p=0.0), rng) for _ in range(4000)])
    assert abs((uniform == 688).mean() - 0.2) < 0.03


@pytest.mark.slow
def test_balanced_positives_give_every_object_an_equal_share():
    """A big object covered by 200 windows and a small one covered by 3 (its box and two shifted
    copies): drawn per window the small object gets 12 · 3 / 203 ≈ 0.2 of the 12 positives per
    image; drawn per object (half the probability mass each) it gets nearly all of its 3."""
    rng = np.random.default_rng(0)
    gt = torch.tensor([[100.0, 100.0, 299.0, 299.0], [400.0, 400.0, 431.0, 431.0]])
    big = gt[0].repeat(200, 1) + torch.as_tensor(rng.uniform(-10, 10, (200, 4)), dtype=torch.float32)
    small = gt[1].repeat(2, 1) + torch.tensor([[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.0, 1.0]])
    far = torch.tensor([[0.0, 0.0, 40.0, 40.0]]).repeat(100, 1) + torch.arange(100.0)[:, None]
    windows = torch.cat([big, small, far])
    counts = {True: np.zeros(2), False: np.zeros(2)}
    for balance in (True, False):
        for _ in range(200):
            win, labels, _ = train.sample_windows(windows, gt, torch.tensor([1, 4]), 48, 0.25, rng, bg=7,
                                                  balance_objects=balance)
            pos = win[labels != 7]
            assert len(pos) == 12 and len(torch.unique(pos, dim=0)) == 12
            obj = box_iou(pos, gt).argmax(1)
            assert torch.equal(labels[labels != 7], torch.tensor([1, 4])[obj])
            counts[balance] += np.bincount(obj.numpy(), minlength=2)
    assert counts[True][1] / 200 > 2.5  # ≈ 2.8 of its 3 windows per image
    assert counts[False][1] / 200 < 0.5  # ≈ 0.2 per image when drawn per window
