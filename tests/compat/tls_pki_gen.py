"""Throwaway certificates for tls_fuzz.py, made with Python's `cryptography`: server CAs (one
ECDSA, one RSA), server leaves made to order (names, IP SANs, key type, common name, chain in
the file or not), and client certificates from a trusted CA and from a CA nobody trusts.

Everything is written under the caller's directory and cached by its spec, so a case asks
for what it needs and a run makes each file once.
"""
import datetime
import ipaddress
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _key(kind):
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def _name(cn, org=None):
    attrs = []
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    if cn:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class Ca:
    def __init__(self, cn, kind):
        self.key = _key(kind)
        self.name = _name(cn, "TLS Fuzz")
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(self.name).issuer_name(self.name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(hours=1))
                     .not_valid_after(now + datetime.timedelta(days=2))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                                    critical=True)
                     .sign(self.key, hashes.SHA256()))

    def issue(self, cn, sans, kind, client=False):
        key = _key(kind)
        now = datetime.datetime.now(datetime.timezone.utc)
        b = (x509.CertificateBuilder().subject_name(_name(cn, "TLS Fuzz Leaf")).issuer_name(self.name)
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(now - datetime.timedelta(hours=1))
             .not_valid_after(now + datetime.timedelta(days=2))
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH if client
                                                   else ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
        alt = []
        for s in sans:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(s)))
            except ValueError:
                alt.append(x509.DNSName(s))
        if alt:
            b = b.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        return b.sign(self.key, hashes.SHA256()), key


class Pki:
    """Files under `base`; leaf() returns (cert_path, key_path)."""

    def __init__(self, base):
        self.base = base
        os.makedirs(base, exist_ok=True)
        self.cas = {"ec": Ca("TLS Fuzz ECDSA CA", "ec"), "rsa": Ca("TLS Fuzz RSA CA", "rsa")}
        self.client_ca = Ca("TLS Fuzz Client CA", "ec")
        self.wrong_ca = Ca("TLS Fuzz Untrusted CA", "ec")
        self.client_ca_file = self._write("client-ca.crt", _pem_cert(self.client_ca.cert))
        self.client_ca_alt_file = self._write("client-ca-alt.crt", _pem_cert(self.cas["ec"].cert))
        self.clients = {}
        for which, ca in (("good", self.client_ca), ("wrong", self.wrong_ca)):
            cert, key = ca.issue("client-" + which, [], "ec", client=True)
            self.clients[which] = (self._write("client-%s.crt" % which, _pem_cert(cert)),
                                   self._write("client-%s.key" % which, _pem_key(key)))
        self._leaves = {}

    def _write(self, name, data):
        path = os.path.join(self.base, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def leaf(self, spec):
        """spec: (ca 'ec'|'rsa', key 'ec'|'rsa', cn or '', tuple of SANs, with_chain bool)."""
        if spec not in self._leaves:
            ca_kind, key_kind, cn, sans, with_chain = spec
            ca = self.cas[ca_kind]
            cert, key = ca.issue(cn, list(sans), key_kind)
            n = len(self._leaves)
            pem = _pem_cert(cert) + (_pem_cert(ca.cert) if with_chain else b"")
            self._leaves[spec] = (self._write("leaf%d.crt" % n, pem), self._write("leaf%d.key" % n, _pem_key(key)))
        return self._leaves[spec]
