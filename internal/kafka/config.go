package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Environment variables read by Security.
const (
	EnvSASLMechanism = "TWEETFLOW_KAFKA_SASL_MECHANISM" // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512; empty: no SASL
	EnvSASLUser      = "TWEETFLOW_KAFKA_SASL_USERNAME"
	EnvSASLPassword  = "TWEETFLOW_KAFKA_SASL_PASSWORD"
	EnvTLS           = "TWEETFLOW_KAFKA_TLS"             // "true" turns TLS on (implied by the other TLS variables)
	EnvTLSCAFile     = "TWEETFLOW_KAFKA_TLS_CA_FILE"     // PEM CA bundle; empty: the system roots
	EnvTLSCertFile   = "TWEETFLOW_KAFKA_TLS_CERT_FILE"   // client certificate (mutual TLS), with the key file
	EnvTLSKeyFile    = "TWEETFLOW_KAFKA_TLS_KEY_FILE"    // client key
	EnvTLSServerName = "TWEETFLOW_KAFKA_TLS_SERVER_NAME" // expected server name; empty: the broker host
	EnvTLSInsecure   = "TWEETFLOW_KAFKA_TLS_INSECURE"    // "true" skips certificate verification (tests only)
)

// SecurityEnv lists the variables Security reads, for help texts.
var SecurityEnv = []string{EnvSASLMechanism, EnvSASLUser, EnvSASLPassword, EnvTLS, EnvTLSCAFile, EnvTLSCertFile, EnvTLSKeyFile, EnvTLSServerName, EnvTLSInsecure}

// SecuritySettings are the SASL and TLS settings of a client.
type SecuritySettings struct {
	SASLMechanism string // "", PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
	User          string
	Password      string

	TLS         bool
	CAFile      string
	CertFile    string
	KeyFile     string
	ServerName  string
	InsecureTLS bool
}

// Security reads the SASL and TLS settings through lookup (os.LookupEnv),
// from the variables EnvSASLMechanism ... EnvTLSInsecure.
func Security(lookup func(string) (string, bool)) (SecuritySettings, error) {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	flag := func(k string) (bool, error) {
		v := get(k)
		if v == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("%s=%q: want true or false", k, v)
		}
		return b, nil
	}
	s := SecuritySettings{SASLMechanism: strings.ToUpper(get(EnvSASLMechanism)), User: get(EnvSASLUser),
		CAFile: get(EnvTLSCAFile), CertFile: get(EnvTLSCertFile), KeyFile: get(EnvTLSKeyFile), ServerName: get(EnvTLSServerName)}
	s.Password, _ = lookup(EnvSASLPassword)
	var err error
	if s.TLS, err = flag(EnvTLS); err != nil {
		return s, err
	}
	if s.InsecureTLS, err = flag(EnvTLSInsecure); err != nil {
		return s, err
	}
	if s.CAFile != "" || s.CertFile != "" || s.KeyFile != "" || s.ServerName != "" || s.InsecureTLS {
		s.TLS = true
	}
	switch s.SASLMechanism {
	case "":
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if s.User == "" {
			return s, fmt.Errorf("%s=%s needs %s and %s", EnvSASLMechanism, s.SASLMechanism, EnvSASLUser, EnvSASLPassword)
		}
	default:
		return s, fmt.Errorf("%s=%q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", EnvSASLMechanism, s.SASLMechanism)
	}
	if (s.CertFile == "") != (s.KeyFile == "") {
		return s, fmt.Errorf("%s and %s go together (mutual TLS)", EnvTLSCertFile, EnvTLSKeyFile)
	}
	return s, nil
}

// Config is how to reach the cluster.
type Config struct {
	Brokers  []string // host:port seeds
	ClientID string   // default "tweetflow"
	Security SecuritySettings
}

// Opts returns the franz-go client options of c.
func (c Config) Opts() ([]kgo.Opt, error) {
	var brokers []string
	for _, b := range c.Brokers {
		for _, p := range strings.Split(b, ",") {
			if p = strings.TrimSpace(p); p != "" {
				brokers = append(brokers, p)
			}
		}
	}
	if len(brokers) == 0 {
		return nil, fmt.Errorf("no Kafka brokers given")
	}
	id := c.ClientID
	if id == "" {
		id = "tweetflow"
	}
	opts := []kgo.Opt{kgo.SeedBrokers(brokers...), kgo.ClientID(id)}
	s := c.Security
	switch s.SASLMechanism {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: s.User, Pass: s.Password}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism()))
	}
	if s.TLS {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: s.ServerName, InsecureSkipVerify: s.InsecureTLS} //nolint:gosec // opt-in, for tests
		if s.CAFile != "" {
			pem, err := os.ReadFile(s.CAFile)
			if err != nil {
				return nil, fmt.Errorf("reading the Kafka CA file (%s): %w", EnvTLSCAFile, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("reading the Kafka CA file %q (%s): no PEM certificate", s.CAFile, EnvTLSCAFile)
			}
			tc.RootCAs = pool
		}
		if s.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(s.CertFile, s.KeyFile)
			if err != nil {
				return nil, fmt.Errorf("loading the Kafka client certificate (%s, %s): %w", EnvTLSCertFile, EnvTLSKeyFile, err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	return opts, nil
}
