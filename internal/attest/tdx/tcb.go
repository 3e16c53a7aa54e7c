package tdx

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-tdx-guest/pcs"
	pb "github.com/google/go-tdx-guest/proto/tdx"

	"github.com/cocoon-go/cocoon/internal/attest"
)

// tcbRank orders Intel's TCB statuses from best to worst.
var tcbRank = map[pcs.TcbComponentStatus]int{
	pcs.TcbComponentStatusUpToDate:                          0,
	pcs.TcbComponentStatusSwHardeningNeeded:                 1,
	pcs.TcbComponentStatusConfigurationNeeded:               2,
	pcs.TcbComponentStatusConfigurationAndSWHardeningNeeded: 3,
	pcs.TcbComponentStatusOutOfDate:                         4,
	pcs.TcbComponentStatusOutOfDateConfigurationNeeded:      5,
	pcs.TcbComponentStatusRevoked:                           6,
}

// statusCheckFailure marks go-tdx-guest's errors for a TCB status other
// than UpToDate: the TDX TCB check is the last check on the TD quote body
// and the QE TCB check the last check of all, so everything before them
// has passed when they fail.
const statusCheckFailure = "failed TCB status check"

// judgeCollateral turns go-tdx-guest's verdicts into the platform's TCB
// status or one of our errors: verr from full verification, lerr and the
// two statuses from reading the TCB levels of the same collateral, and
// checkQE repeating the QE identity checks that go-tdx-guest skips when
// the TDX TCB status check fails. A status other than UpToDate is returned
// without error, for the policy to judge; Revoked is always an error.
func judgeCollateral(verr, lerr error, tdxStatus, qeStatus pcs.TcbComponentStatus, checkQE func() error) (attest.TCBStatus, error) {
	if verr == nil {
		return attest.TCBUpToDate, nil
	}
	switch {
	case errors.Is(lerr, errCollateralNil):
		return "", fmt.Errorf("%w: %w", ErrCollateralUnavailable, verr)
	case isExpiry(lerr):
		return "", fmt.Errorf("%w: %w", ErrCollateralExpired, lerr)
	case lerr != nil || !strings.Contains(verr.Error(), statusCheckFailure):
		return "", fmt.Errorf("%w: %w", ErrCollateralInvalid, verr)
	}
	tdxRank, ok1 := tcbRank[tdxStatus]
	qeRank, ok2 := tcbRank[qeStatus]
	if !ok1 || !ok2 || (tdxRank == 0 && qeRank == 0) {
		return "", fmt.Errorf("%w: %w", ErrCollateralInvalid, verr)
	}
	if tdxRank > 0 {
		if err := checkQE(); err != nil {
			return "", fmt.Errorf("%w: %w", ErrCollateralInvalid, err)
		}
	}
	worst := tdxStatus
	if qeRank > tdxRank {
		worst = qeStatus
	}
	if worst == pcs.TcbComponentStatusRevoked {
		return "", fmt.Errorf("%w: TDX TCB %s, QE TCB %s", ErrTCBRevoked, tdxStatus, qeStatus)
	}
	return attest.TCBStatus(worst), nil
}

// checkQEReport repeats go-tdx-guest's checks of the quoting enclave's
// report against Intel's QE identity (whose signature go-tdx-guest has
// verified): MISCSELECT and attributes under their masks, MRSIGNER,
// ISVPRODID, and a TCB level for its ISVSVN.
func checkQEReport(r *pb.EnclaveReport, id *pcs.EnclaveIdentity) error {
	if len(id.MiscselectMask.Bytes) != 4 || len(id.Miscselect.Bytes) != 4 {
		return errors.New("QE identity MISCSELECT fields are not 4 bytes")
	}
	mask := binary.LittleEndian.Uint32(id.MiscselectMask.Bytes)
	if r.GetMiscSelect()&mask != binary.LittleEndian.Uint32(id.Miscselect.Bytes) {
		return errors.New("QE report MISCSELECT does not match QE identity")
	}
	attrs := r.GetAttributes()
	if len(id.AttributesMask.Bytes) != len(attrs) {
		return errors.New("QE identity attributes mask has the wrong size")
	}
	masked := make([]byte, len(attrs))
	for i := range attrs {
		masked[i] = attrs[i] & id.AttributesMask.Bytes[i]
	}
	if !bytes.Equal(masked, id.Attributes.Bytes) {
		return errors.New("QE report attributes do not match QE identity")
	}
	if !bytes.Equal(r.GetMrSigner(), id.Mrsigner.Bytes) {
		return errors.New("QE report MRSIGNER does not match QE identity")
	}
	if r.GetIsvProdId() != uint32(id.IsvProdID) {
		return errors.New("QE report ISVPRODID does not match QE identity")
	}
	for _, l := range id.TcbLevels {
		if l.Tcb.Isvsvn <= r.GetIsvSvn() {
			return nil
		}
	}
	return errors.New("no QE TCB level for the QE report's ISVSVN")
}

// recordingGetter remembers the QE identity that go-tdx-guest fetched
// during one verification. go-tdx-guest calls it from one goroutine.
type recordingGetter struct {
	inner      *collateralGetter
	qeIdentity []byte
}

func (r *recordingGetter) Get(url string) (map[string][]string, []byte, error) {
	return r.GetContext(context.Background(), url)
}

func (r *recordingGetter) GetContext(ctx context.Context, url string) (map[string][]string, []byte, error) {
	h, b, err := r.inner.GetContext(ctx, url)
	if err == nil && url == pcs.QeIdentityURL() {
		r.qeIdentity = b
	}
	return h, b, err
}

// checkQE runs checkQEReport on the quote's QE report and the recorded QE
// identity.
func (r *recordingGetter) checkQE(quote any) error {
	var id pcs.QeIdentity
	if err := json.Unmarshal(r.qeIdentity, &id); err != nil {
		return fmt.Errorf("reading QE identity: %w", err)
	}
	sd, ok := quote.(interface {
		GetSignedData() *pb.Ecdsa256BitQuoteV4AuthData
	})
	if !ok {
		return fmt.Errorf("unsupported quote type %T", quote)
	}
	return checkQEReport(sd.GetSignedData().GetCertificationData().GetQeReportCertificationData().GetQeReport(), &id.EnclaveIdentity)
}
