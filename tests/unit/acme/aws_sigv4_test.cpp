// AWS Signature Version 4 against AWS's documented example vectors (the SigV4 test suite's
// get-vanilla and get-vanilla-query-order-key-case, and the IAM ListUsers example of the
// "Create a signed AWS API request" guide), and the Route 53 request/answer pieces.
#include "dns/aws_sigv4.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "dns/aws_credentials.h"
#include "dns/dns_provider_factory.h"
#include "dns/route53_api.h"

using namespace gatehouse::acme::dns;

namespace {

const aws::Credentials kExample{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

std::string hexOf(const std::string& raw) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

}  // namespace

TEST_CASE("SigV4 get-vanilla matches AWS's test suite") {
  aws::Request r{"GET", "/", {}, {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}}, ""};
  CHECK(aws::canonicalRequest(r) ==
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(aws::stringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request",
                          aws::canonicalRequest(r)) ==
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
        "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  CHECK(aws::authorization(kExample, "us-east-1", "service", "20150830T123600Z", r) ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST_CASE("SigV4 sorts the query (get-vanilla-query-order-key-case)") {
  aws::Request r{"GET",
                 "/",
                 {{"Param2", "value2"}, {"Param1", "value1"}},
                 {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}},
                 ""};
  CHECK(aws::canonicalQuery(r.query) == "Param1=value1&Param2=value2");
  CHECK(aws::authorization(kExample, "us-east-1", "service", "20150830T123600Z", r)
            .ends_with("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"));
}

TEST_CASE("SigV4 IAM ListUsers example: signing key and signature") {
  CHECK(hexOf(aws::signingKey(kExample.secretAccessKey, "20150830", "us-east-1", "iam")) ==
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  aws::Request r{"GET",
                 "/",
                 {{"Action", "ListUsers"}, {"Version", "2010-05-08"}},
                 {{"content-type", "application/x-www-form-urlencoded; charset=utf-8"},
                  {"host", "iam.amazonaws.com"},
                  {"x-amz-date", "20150830T123600Z"}},
                 ""};
  CHECK(aws::authorization(kExample, "us-east-1", "iam", "20150830T123600Z", r) ==
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

TEST_CASE("SigV4 encoding, header trimming and the session token") {
  CHECK(aws::uriEncode("a b/c*~") == "a%20b%2Fc%2A~");
  CHECK(aws::uriEncode("/2013-04-01/x y", false) == "/2013-04-01/x%20y");
  aws::Request r{"GET", "/", {}, {{"host", "h"}, {"x-custom", "  a   b  "}}, ""};
  CHECK(aws::canonicalRequest(r).find("x-custom:a b\n") != std::string::npos);
  aws::sign(r, {"AK", "SK", "TOKEN"}, "us-east-1", "route53", "20260101T000000Z");
  CHECK(r.headers["x-amz-date"] == "20260101T000000Z");
  CHECK(r.headers["x-amz-security-token"] == "TOKEN");
  CHECK(r.headers["authorization"].find("SignedHeaders=host;x-amz-date;x-amz-security-token;x-custom,") !=
        std::string::npos);
}

TEST_CASE("Route 53 change batch and answers") {
  const route53::RecordSet set{"_acme-challenge.example.com.", "TXT", 120, {"\"abc\"", "\"d<e\""}};
  const std::string body = route53::changeBatch("UPSERT", set);
  CHECK(body.find(
            R"(<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">)") !=
        std::string::npos);
  CHECK(body.find(
            "<Action>UPSERT</Action><ResourceRecordSet><Name>_acme-challenge.example.com.</Name><Type>TXT"
            "</Type><TTL>120</TTL><ResourceRecords><ResourceRecord><Value>\"abc\"</Value></ResourceRecord>"
            "<ResourceRecord><Value>\"d&lt;e\"</Value></ResourceRecord></ResourceRecords>") !=
        std::string::npos);
  const std::string zones =
      "<ListHostedZonesByNameResponse><HostedZones><HostedZone><Id>/hostedzone/ZOTHER</"
      "Id><Name>a.example.com."
      "</Name></HostedZone><HostedZone><Id>/hostedzone/Z1D633PJN98FT9</Id><Name>Example.com.</Name></"
      "HostedZone>"
      "</HostedZones></ListHostedZonesByNameResponse>";
  CHECK(route53::hostedZoneId(zones, "example.com.") == "Z1D633PJN98FT9");
  CHECK_FALSE(route53::hostedZoneId(zones, "example.net."));
  const std::string sets =
      "<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet><Name>_acme-challenge.example."
      "com."
      "</Name><Type>TXT</Type><TTL>300</TTL><ResourceRecords><ResourceRecord><Value>\"x&amp;y\"</Value>"
      "</ResourceRecord></ResourceRecords></ResourceRecordSet></ResourceRecordSets></"
      "ListResourceRecordSetsResponse>";
  auto found = route53::txtRecordSet(sets, "_acme-challenge.example.com.");
  REQUIRE(found);
  CHECK(found->ttl == 300);
  CHECK(found->values == std::vector<std::string>{"\"x&y\""});
  CHECK_FALSE(route53::txtRecordSet(sets, "_acme-challenge.a.example.com."));
  CHECK(route53::errorText(
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded"
            "</Message></Error></ErrorResponse>") == "Throttling: Rate exceeded");
  CHECK(route53::errorText("<InvalidChangeBatch><Messages><Message>no match</Message></Messages>"
                           "</InvalidChangeBatch>") == "InvalidChangeBatch: no match");
}

TEST_CASE("route53 provider settings are checked") {
  using nlohmann::json;
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_PROFILE");
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/gatehouse-credentials", 1);
  ::setenv("AWS_CONFIG_FILE", "/nonexistent/gatehouse-config", 1);
  const json ok = {
      {"name", "route53"}, {"access_key_id", "AK"}, {"secret_access_key", "SK"}, {"max_retries", 3}};
  CHECK(makeDnsProvider(nullptr, ok)->name() == "route53");
  CHECK_THROWS_WITH(makeDnsProvider(nullptr, json{{"name", "route53"}}), Catch::Contains("no credentials"));
  ::setenv("AWS_ACCESS_KEY_ID", "envid", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  CHECK(makeDnsProvider(nullptr, json{{"name", "route53"}})->name() == "route53");
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  json bad = ok;
  bad["wait_for_propagation"] = "yes";
  CHECK_THROWS_WITH(makeDnsProvider(nullptr, bad), "wait_for_propagation: expected true or false");
  json waiting = ok;
  waiting["wait_for_propagation"] = true;
  waiting["max_wait_dur"] = 30;
  CHECK(makeDnsProvider(nullptr, waiting)->name() == "route53");
  bad = ok;
  bad["max_retries"] = "3";
  CHECK_THROWS_WITH(makeDnsProvider(nullptr, bad), "max_retries: expected an integer");
  bad = ok;
  bad["bogus"] = 1;
  CHECK_THROWS_WITH(makeDnsProvider(nullptr, bad), Catch::Contains("'bogus'"));
}

TEST_CASE("route53 credentials from the shared files' profiles") {
  using nlohmann::json;
  ::unsetenv("AWS_ACCESS_KEY_ID");
  ::unsetenv("AWS_SECRET_ACCESS_KEY");
  ::unsetenv("AWS_PROFILE");
  const std::string dir = "/tmp/gatehouse-unit-aws-" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir + "/credentials")
        << "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n"
           "# comment\n[dev]\naws_access_key_id=AKIDDEV\naws_secret_access_key=s2\n"
           "aws_session_token = tok\n";
    std::ofstream(dir + "/config")
        << "[profile ops]\naws_access_key_id = AKIDOPS\naws_secret_access_key = s3\n"
           "[profile assumed]\nrole_arn = arn:aws:iam::123:role/x\nsource_profile = dev\n";
  }
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", (dir + "/credentials").c_str(), 1);
  ::setenv("AWS_CONFIG_FILE", (dir + "/config").c_str(), 1);
  CHECK(aws::profileCredentials("").credentials->accessKeyId == "AKIDDEFAULT");
  const auto dev = aws::profileCredentials("dev");
  REQUIRE(dev.credentials);
  CHECK(dev.credentials->sessionToken == "tok");
  CHECK(aws::profileCredentials("ops").credentials->accessKeyId == "AKIDOPS");
  ::setenv("AWS_PROFILE", "dev", 1);
  CHECK(aws::profileCredentials("").credentials->accessKeyId == "AKIDDEV");
  ::unsetenv("AWS_PROFILE");
  CHECK(aws::profileCredentials("assumed").problem.find("role_arn, which is not supported yet") !=
        std::string::npos);
  CHECK_FALSE(aws::profileCredentials("nope").credentials);
  CHECK(makeDnsProvider(nullptr, json{{"name", "route53"}, {"aws_profile", "ops"}})->name() == "route53");
  CHECK_THROWS_WITH(makeDnsProvider(nullptr, json{{"name", "route53"}, {"profile", "nope"}}),
                    Catch::Contains("profile 'nope' not found"));
  CHECK_THROWS_WITH(makeDnsProvider(nullptr, json{{"name", "route53"}, {"profile", "assumed"}}),
                    Catch::Contains("not supported yet"));
  std::filesystem::remove_all(dir);
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/gatehouse-credentials", 1);
  ::setenv("AWS_CONFIG_FILE", "/nonexistent/gatehouse-config", 1);
}

TEST_CASE("route53 retry backoff and INSYNC deadline stay in range") {
  using namespace std::chrono;
  CHECK(route53::retryDelay(0) == milliseconds(500));
  CHECK(route53::retryDelay(1) == milliseconds(1000));
  CHECK(route53::retryDelay(3) == milliseconds(4000));
  // max_retries allows 100 attempts: `500 << attempt` went negative from attempt 23 (a
  // negative timer delay) and shifted past an int's width from attempt 32 (undefined).
  for (int attempt = 4; attempt <= 100; ++attempt)
    CHECK(route53::retryDelay(attempt) == milliseconds(5000));
  const auto now = steady_clock::now();
  CHECK(route53::waitDeadline(now, seconds(60)) == now + seconds(60));
  // A huge max_wait_dur (any JSON integer of seconds) overflowed the conversion to nanoseconds.
  CHECK(route53::waitDeadline(now, seconds(std::numeric_limits<int64_t>::max())) ==
        steady_clock::time_point::max());
  CHECK(route53::waitDeadline(now, seconds(std::numeric_limits<int64_t>::max() / 1'000'000'000)) ==
        steady_clock::time_point::max());
}
