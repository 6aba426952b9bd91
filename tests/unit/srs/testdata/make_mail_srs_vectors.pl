#!/usr/bin/perl
# Writes mail_srs_vectors.tsv: SRS forward and reverse results of Mail::SRS 0.31 (the Perl
# reference implementation of Shevek's SRS; Debian package libmail-srs-perl), at a fixed time,
# for tests/unit/srs/mail_srs_vectors_test.cpp. Only needed to regenerate the file:
#   perl tests/unit/srs/testdata/make_mail_srs_vectors.pl > tests/unit/srs/testdata/mail_srs_vectors.tsv
# Columns: op (forward|reverse), secret, unix time, alias domain, input, output ("!" + error).
use strict;
use warnings;
our $now;
BEGIN { $now = 1796601600; *CORE::GLOBAL::time = sub () { $now } }  # 2026-12-07T00:00:00Z
use Mail::SRS;

my $secret = "current-secret";
my $alias = "fwd.example.net";
my @senders = (
  'alice@example.com', 'alice@Example.COM', 'Alice@example.com', 'ALICE@EXAMPLE.COM',
  'first.last@sub.example.org', 'x+tag@example.com', 'o\'brien@example.ie',
  'user=with=equals@example.com', 'a@b.example', 'MiXeD.CaSe@MiXeD.Example.Net',
  'bob@fwd.example.net', 'BOB@FWD.Example.net', 'Bob@Fwd.Example.Net',
  'SRS0=abcd=TT=orig.example=user@hop1.example', 'srs0=abcd=tt=orig.example=user@Hop1.Example',
  'SRS0-abcd=TT=orig.example=user@hop1.example', 'SRS0+abcd=TT=orig.example=user@hop1.example',
  'SRS1=XXXX=orig.example==abcd=TT=o=u@hop2.example', 'SRS1=XXXX=Orig.Example==abcd=TT=o=u@hop2.example',
  '"a b"@example.com',
);
my $srs = Mail::SRS->new(Secret => [$secret], MaxAge => 21, HashLength => 4, AlwaysRewrite => 0);
for my $t ($now, $now + 86400 * 37, $now + 86400 * 500) {
  local $now = $t;
  for my $s (@senders) {
    my $r = eval { $srs->forward($s, $alias) };
    $r = "!" . (split /\n| at /, $@)[0] unless defined $r;
    print join("\t", "forward", $secret, $t, $alias, $s, $r), "\n";
    next if $r =~ /^!/ || $r eq $s;
    my $back = eval { $srs->reverse($r) };
    $back = "!" . (split /\n| at /, $@)[0] unless defined $back;
    print join("\t", "reverse", $secret, $t, $alias, $r, $back), "\n";
  }
}
