"""Independent MAUVE reference for MauveTest: NumPy + scikit-learn (Debian's python3-numpy, python3-sklearn).

Usage: mauve_reference.py P.npy Q.npy CLUSTERS SEED -> one JSON line {"mauve", "frontier_integral", "pca_dims"}.
Same recipe as mauve-text's defaults (Pillutla et al. 2021), computed with sklearn's PCA and KMeans instead of
Apache Commons Math, so the Java implementation is checked against a different code path.
"""
import json
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.preprocessing import normalize


def histograms(p, q, clusters, seed):
    x = normalize(np.vstack([q, p]).astype(np.float64), norm="l2", axis=1)
    pca = PCA(n_components=None, random_state=seed + 1).fit(x)
    ratio = np.cumsum(pca.explained_variance_ratio_)
    dims = int(np.argmax(ratio >= 0.9)) + 1
    z = pca.transform(x)[:, :dims]
    labels = KMeans(n_clusters=clusters, n_init=5, max_iter=500, random_state=seed + 2).fit_predict(z)
    q_hist = np.bincount(labels[: len(q)], minlength=clusters) / len(q)
    p_hist = np.bincount(labels[len(q):], minlength=clusters) / len(p)
    return p_hist, q_hist, dims


def kl(a, b):
    if np.any((a > 0) & (b == 0)):
        return np.inf
    m = a > 0
    return float(np.sum(a[m] * np.log(a[m] / b[m])))


def mauve(p_hist, q_hist, c=5.0, n=25):
    pts = [(1.0, 0.0)]
    for lam in np.linspace(1e-6, 1 - 1e-6, n):
        r = lam * p_hist + (1 - lam) * q_hist
        pts.append((np.exp(-c * kl(q_hist, r)), np.exp(-c * kl(p_hist, r))))
    pts.append((0.0, 1.0))
    pts = np.array(pts)
    a = pts[np.argsort(pts[:, 0], kind="stable")]
    b = pts[np.argsort(pts[:, 1], kind="stable")]
    return 0.5 * (np.trapz(a[:, 1], a[:, 0]) + np.trapz(b[:, 0], b[:, 1]))


def frontier_integral(p_hist, q_hist):
    total = 0.0
    for a, b in zip(p_hist, q_hist):
        if a == 0 or b == 0:
            total += (a + b) / 4
        elif abs(a - b) > 1e-8:
            total += (a + b) / 4 - a * b * (np.log(a) - np.log(b)) / (2 * (a - b))
    return 2 * total


def main():
    p = np.load(sys.argv[1])
    q = np.load(sys.argv[2])
    p_hist, q_hist, dims = histograms(p, q, int(sys.argv[3]), int(sys.argv[4]))
    print(json.dumps({"mauve": float(mauve(p_hist, q_hist)),
                      "frontier_integral": float(frontier_integral(p_hist, q_hist)),
                      "pca_dims": dims}))


if __name__ == "__main__":
    main()
