/** Popup entry: the toolbar button's panel (also opened as a tab by tests and the demo). */
import '../ui/theme.css';
import './popup.css';
import { render } from 'preact';
import { PopupApp } from './app.tsx';

const root = document.getElementById('app') ?? document.body;
root.textContent = '';
render(<PopupApp />, root);
