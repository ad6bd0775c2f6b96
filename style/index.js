import './base.css';
import './backtest.css';
import './strategies.css';
import './live.css';
